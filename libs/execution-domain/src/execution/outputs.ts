import type { ActionTypeId, EnvironmentVariable } from '@pipewright/pipeline-model';
import { actionExecutionIdFor } from '../ids';
import { heartbeatTimeoutSeconds } from '../policy';
import { lanesCommandsFor } from '../react';
import type { LanesCommand } from '../lanes/lanes';
import { addSeconds } from '../time';
import type { TimerPayload } from './commands';
import type { ActionExecutionStarted, ExecutionEvent } from './events';
import { evolveExecution } from './evolve';
import type { ExecutionState, StartedExecution } from './state';
import type { ArtifactRef, ErrorDetails, ExecutionTrigger, SourceRevisionOverride } from './values';

/** What a worker needs to run one action attempt. */
export interface JobRequest {
  jobId: string;
  nonce: string;
  pipelineName: string;
  pipelineVersion: number;
  pipelineExecutionId: string;
  stageName: string;
  actionName: string;
  attempt: number;
  actionTypeId: ActionTypeId;
  configuration: Record<string, string>;
  commands?: string[];
  environmentVariables?: EnvironmentVariable[];
  inputArtifacts: ArtifactRef[];
  outputArtifactNames: string[];
  /** The declared globs of output artifacts that name their files (CodePipeline's Commands action). */
  outputArtifactFiles?: Record<string, string[]>;
  /** The declared output variables the worker exports after the run. */
  outputVariableNames?: string[];
  /** Set when the job is handed out again to continue a long job (the worker's last token). */
  continuationToken?: string;
  namespace?: string;
  sourceRevision?: SourceRevisionOverride;
  timeoutAt: string;
}

/** CodePipeline's state-change states (its EventBridge events), for the execution-events topic. */
export type ChangeState = 'STARTED' | 'RESUMED' | 'SUCCEEDED' | 'FAILED' | 'STOPPING' | 'STOPPED' | 'SUPERSEDED' | 'ABANDONED' | 'CANCELED';

export interface StateChange {
  kind: 'PipelineExecution' | 'StageExecution' | 'ActionExecution' | 'ApprovalNeeded';
  state: ChangeState;
  pipelineName: string;
  pipelineVersion: number;
  pipelineExecutionId: string;
  stageName?: string;
  actionName?: string;
  actionExecutionId?: string;
  attempt?: number;
  trigger?: ExecutionTrigger;
  errorDetails?: ErrorDetails;
  summary?: string;
  approval?: { token: string; expiresAt: string; customData?: string; externalEntityLink?: string };
  time: string;
}

export type ExecutionOutput =
  | { type: 'DispatchJob'; job: JobRequest }
  | { type: 'CancelJob'; pipelineExecutionId: string; jobId: string; reason: string }
  /** Upsert by timerId: scheduling an id again moves its fireAt (heartbeats push their expiry on). */
  | { type: 'ScheduleTimer'; pipelineExecutionId: string; timerId: string; fireAt: string; payload: TimerPayload }
  | { type: 'PublishStateChange'; change: StateChange }
  /** For the pipeline's lanes stream (key: pipelineName). */
  | { type: 'SendToLanes'; pipelineName: string; command: LanesCommand };

/**
 * Outputs are derived from the events (not returned by decide), so `decide` stays a plain
 * decider and the outputs of any stored batch can be derived again, byte for byte, after a crash.
 * The adapter persists them with the events in one transaction (outbox rows, timer rows).
 */
export function outputsOf(stateBefore: ExecutionState, events: readonly ExecutionEvent[]): ExecutionOutput[] {
  const outputs: ExecutionOutput[] = [];
  let state = stateBefore;
  for (const event of events) {
    const before = state;
    state = evolveExecution(state, event);
    if (state.status === 'NotStarted') continue;
    outputs.push(...outputsOfEvent(event, before, state));
  }
  return outputs;
}

function outputsOfEvent(event: ExecutionEvent, before: ExecutionState, s: StartedExecution): ExecutionOutput[] {
  const id = s.pipelineExecutionId;
  const publish = (change: Omit<StateChange, 'pipelineName' | 'pipelineVersion' | 'pipelineExecutionId' | 'time'>): ExecutionOutput => ({
    type: 'PublishStateChange',
    change: { ...change, pipelineName: s.pipelineName, pipelineVersion: s.pipelineVersion, pipelineExecutionId: id, time: event.data.at },
  });
  const lanes = lanesCommandsFor(event, s).map((command): ExecutionOutput => ({ type: 'SendToLanes', pipelineName: s.pipelineName, command }));
  switch (event.type) {
    case 'PipelineExecutionStarted':
      return [publish({ kind: 'PipelineExecution', state: 'STARTED', trigger: s.trigger })];
    case 'StageEntryRequested': {
      const resumed = event.data.reason === 'Retry' ? [publish({ kind: 'PipelineExecution', state: 'RESUMED' })] : [];
      return [...resumed, ...lanes];
    }
    case 'StageExecutionStarted':
      return [publish({ kind: 'StageExecution', state: event.data.retryMode ? 'RESUMED' : 'STARTED', stageName: event.data.stageName })];
    case 'ActionExecutionStarted': {
      const d = event.data;
      return [
        { type: 'DispatchJob', job: jobRequestOf(s, d) },
        timeoutTimer(id, d.stageName, d.actionName, d.attempt, d.actionExecutionId, d.timeoutAt),
        publish({ kind: 'ActionExecution', state: 'STARTED', stageName: d.stageName, actionName: d.actionName, actionExecutionId: d.actionExecutionId, attempt: d.attempt }),
      ];
    }
    case 'ApprovalRequested': {
      const d = event.data;
      const action = { stageName: d.stageName, actionName: d.actionName, actionExecutionId: d.actionExecutionId, attempt: d.attempt };
      return [
        timeoutTimer(id, d.stageName, d.actionName, d.attempt, d.actionExecutionId, d.expiresAt),
        publish({ kind: 'ActionExecution', state: 'STARTED', ...action }),
        publish({
          kind: 'ApprovalNeeded',
          state: 'STARTED',
          ...action,
          approval: { token: d.token, expiresAt: d.expiresAt, customData: d.configuration['CustomData'], externalEntityLink: d.configuration['ExternalEntityLink'] },
        }),
      ];
    }
    case 'JobAcknowledged':
      return [];
    case 'JobContinued': {
      const d = event.data;
      const dispatched = s.stages[d.stageName]?.actions[d.actionName]?.dispatched;
      const fireAt = addSeconds(d.at, heartbeatTimeoutSeconds(s));
      return [
        ...(dispatched ? [{ type: 'DispatchJob' as const, job: { ...jobRequestOf(s, dispatched), continuationToken: d.continuationToken } }] : []),
        { type: 'ScheduleTimer', pipelineExecutionId: id, timerId: `heartbeat:${d.jobId}`, fireAt, payload: { kind: 'HeartbeatExpiry', jobId: d.jobId } },
      ];
    }
    case 'JobHeartbeatRecorded': {
      const fireAt = addSeconds(event.data.at, heartbeatTimeoutSeconds(s));
      return [{ type: 'ScheduleTimer', pipelineExecutionId: id, timerId: `heartbeat:${event.data.jobId}`, fireAt, payload: { kind: 'HeartbeatExpiry', jobId: event.data.jobId } }];
    }
    case 'ActionExecutionSucceeded': {
      const d = event.data;
      const a = s.stages[d.stageName]?.actions[d.actionName];
      return [publish({ kind: 'ActionExecution', state: 'SUCCEEDED', stageName: d.stageName, actionName: d.actionName, actionExecutionId: a?.actionExecutionId, attempt: d.attempt, summary: d.summary })];
    }
    case 'ActionExecutionFailed': {
      const d = event.data;
      const jobId = before.status === 'NotStarted' ? undefined : before.stages[d.stageName]?.actions[d.actionName]?.jobId;
      const cancel: ExecutionOutput[] = d.cancelJob && jobId ? [{ type: 'CancelJob', pipelineExecutionId: id, jobId, reason: d.errorDetails.message }] : [];
      return [
        ...cancel,
        publish({ kind: 'ActionExecution', state: 'FAILED', stageName: d.stageName, actionName: d.actionName, actionExecutionId: d.actionExecutionId, attempt: d.attempt, errorDetails: d.errorDetails, summary: d.summary }),
      ];
    }
    case 'ActionRetryScheduled': {
      const d = event.data;
      const next = actionExecutionIdFor(id, d.stageName, d.actionName, d.attempt);
      return [{ type: 'ScheduleTimer', pipelineExecutionId: id, timerId: `retry:${next}`, fireAt: d.fireAt, payload: { kind: 'RetryBackoff', stageName: d.stageName, actionName: d.actionName, attempt: d.attempt } }];
    }
    case 'ActionExecutionAbandoned': {
      const d = event.data;
      const a = s.stages[d.stageName]?.actions[d.actionName];
      const cancel: ExecutionOutput[] = a?.jobId ? [{ type: 'CancelJob', pipelineExecutionId: id, jobId: a.jobId, reason: d.reason ?? 'Abandoned by StopPipelineExecution' }] : [];
      return [...cancel, publish({ kind: 'ActionExecution', state: 'ABANDONED', stageName: d.stageName, actionName: d.actionName, actionExecutionId: a?.actionExecutionId, attempt: d.attempt })];
    }
    case 'StageExecutionSucceeded':
      return [publish({ kind: 'StageExecution', state: 'SUCCEEDED', stageName: event.data.stageName }), ...lanes];
    case 'StageExecutionFailed':
      return [publish({ kind: 'StageExecution', state: 'FAILED', stageName: event.data.stageName })];
    case 'StageExecutionStopped':
      return [publish({ kind: 'StageExecution', state: 'STOPPED', stageName: event.data.stageName })];
    case 'PipelineExecutionSucceeded':
      return [publish({ kind: 'PipelineExecution', state: 'SUCCEEDED' }), ...lanes];
    case 'PipelineExecutionFailed':
      return [publish({ kind: 'PipelineExecution', state: 'FAILED', summary: event.data.statusSummary }), ...lanes];
    case 'PipelineExecutionStopping': {
      const stopping: ExecutionOutput[] = s.currentStage && s.stages[s.currentStage]?.status === 'Stopping' ? [publish({ kind: 'StageExecution', state: 'STOPPING', stageName: s.currentStage })] : [];
      return [publish({ kind: 'PipelineExecution', state: 'STOPPING', summary: event.data.reason }), ...stopping];
    }
    case 'PipelineExecutionStopped':
      return [publish({ kind: 'PipelineExecution', state: 'STOPPED', summary: event.data.reason }), ...lanes];
    case 'PipelineExecutionSuperseded':
      return [publish({ kind: 'PipelineExecution', state: 'SUPERSEDED', summary: `Superseded by ${event.data.supersededBy}` }), ...lanes];
  }
}

function jobRequestOf(s: StartedExecution, d: ActionExecutionStarted['data']): JobRequest {
  const declared = s.declaration.stages.find((stage) => stage.name === d.stageName)?.actions.find((a) => a.name === d.actionName);
  const files = (declared?.outputArtifacts ?? []).filter((a) => a.files?.length).map((a) => [a.name, a.files!] as const);
  return {
    jobId: d.jobId,
    nonce: d.nonce,
    pipelineName: s.pipelineName,
    pipelineVersion: s.pipelineVersion,
    pipelineExecutionId: s.pipelineExecutionId,
    stageName: d.stageName,
    actionName: d.actionName,
    attempt: d.attempt,
    actionTypeId: d.actionTypeId,
    configuration: d.configuration,
    commands: d.commands,
    environmentVariables: d.environmentVariables,
    inputArtifacts: d.inputArtifacts,
    outputArtifactNames: d.outputArtifactNames,
    outputArtifactFiles: files.length ? Object.fromEntries(files) : undefined,
    outputVariableNames: declared?.outputVariables,
    namespace: d.namespace,
    sourceRevision: d.sourceRevision,
    timeoutAt: d.timeoutAt,
  };
}

function timeoutTimer(pipelineExecutionId: string, stageName: string, actionName: string, attempt: number, actionExecutionId: string, fireAt: string): ExecutionOutput {
  return { type: 'ScheduleTimer', pipelineExecutionId, timerId: `timeout:${actionExecutionId}`, fireAt, payload: { kind: 'ActionTimeout', stageName, actionName, attempt } };
}
