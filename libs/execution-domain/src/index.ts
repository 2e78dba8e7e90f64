/**
 * The orchestrator's pure execution engine.
 * - executionDecider: one stream per pipeline execution (commands → events → state).
 * - outputsOf(stateBefore, events): what the adapter persists beside the events (job requests,
 *   job cancellations, timers, state-change publications, commands for the lanes stream).
 * - pipelineLanesDecider: one stream per pipeline (stage locks by execution mode, transitions).
 * - lanesCommandsFor / executionCommandsFor: the process manager between the two.
 * - pipelineExecutionView(state): GetPipelineExecution / GetPipelineState's per-execution parts.
 */
export * from './ids';
export * from './time';
export * from './canonical';
export * from './policy';
export * from './execution/values';
export * from './execution/commands';
export * from './execution/events';
export * from './execution/state';
export * from './execution/evolve';
export * from './execution/errors';
export * from './execution/variables';
export { resolvePipelineVariables } from './execution/start';
export * from './execution/decider';
export * from './execution/outputs';
export * from './execution/view';
export * from './lanes/lanes';
export * from './lanes/decide';
export * from './react';
export * from './dora';
