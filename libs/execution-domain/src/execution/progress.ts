import type { ActionDeclaration, StageDeclaration } from '@pipewright/pipeline-model';
import { retryBackoffSeconds } from '../policy';
import { addSeconds } from '../time';
import { dispatchAction } from './dispatch';
import type { Draft } from './draft';
import { StageNotFound } from './errors';
import { isInFlight, type StageExecutionState, type StartedExecution } from './state';
import type { ErrorDetails } from './values';

export function stageDeclaration(s: StartedExecution, stageName: string): StageDeclaration {
  const stage = s.declaration.stages.find((candidate) => candidate.name === stageName);
  if (!stage) throw new StageNotFound(`Stage '${stageName}' does not exist in version ${s.pipelineVersion} of pipeline '${s.pipelineName}'`, { stageName });
  return stage;
}

export function actionDeclaration(s: StartedExecution, stageName: string, actionName: string): ActionDeclaration | undefined {
  return s.declaration.stages.find((stage) => stage.name === stageName)?.actions.find((action) => action.name === actionName);
}

/** The group that runs now: the lowest runOrder with an action that has not succeeded in this run. */
function currentRunOrder(declaration: StageDeclaration, stage: StageExecutionState): number | undefined {
  const open = declaration.actions.filter((a) => stage.actions[a.name]?.status !== 'Succeeded').map((a) => a.runOrder ?? 1);
  return open.length ? Math.min(...open) : undefined;
}

/**
 * Moves a stage on after anything changed in it: dispatches the next runOrder group when the
 * current one succeeded, fails the stage (and the execution) once every action of a group with a
 * failure has ended, stops it when a stop was requested, or finishes it.
 */
export function advanceStage(d: Draft, stageName: string, now: string): void {
  for (;;) {
    const s = d.state;
    const stage = s.stages[stageName];
    if (!stage || (stage.status !== 'InProgress' && stage.status !== 'Stopping')) return;
    const declaration = stageDeclaration(s, stageName);
    const runOrder = currentRunOrder(declaration, stage);
    if (runOrder === undefined) return succeedStage(d, stageName, now);
    const group = declaration.actions.filter((a) => (a.runOrder ?? 1) === runOrder);
    if (group.some((a) => isInFlight(stage.actions[a.name]))) return;
    if (s.status === 'Stopping') {
      d.emit('StageExecutionStopped', { stageName, at: now });
      d.emit('PipelineExecutionStopped', { reason: s.stop?.reason, at: now });
      return;
    }
    const failed = group.filter((a) => ['Failed', 'Abandoned'].includes(stage.actions[a.name]?.status ?? ''));
    if (failed.length) {
      d.emit('StageExecutionFailed', { stageName, at: now });
      d.emit('PipelineExecutionFailed', { statusSummary: `Stage '${stageName}' failed: action ${failed.map((a) => `'${a.name}'`).join(', ')} failed`, at: now });
      return;
    }
    const undispatched = group.filter((a) => !stage.actions[a.name]);
    if (!undispatched.length) return;
    for (const action of undispatched) dispatchAction(d, stageName, action, 1, now);
  }
}

function succeedStage(d: Draft, stageName: string, now: string): void {
  d.emit('StageExecutionSucceeded', { stageName, at: now });
  const s = d.state;
  const next = s.stageScope[s.stageScope.indexOf(stageName) + 1];
  if (next === undefined) return d.emit('PipelineExecutionSucceeded', { at: now });
  // Stop-and-wait lets running actions finish but starts no further stage.
  if (s.status === 'Stopping') return d.emit('PipelineExecutionStopped', { reason: s.stop?.reason, at: now });
  d.emit('StageEntryRequested', { stageName: next, reason: 'Transition', at: now });
}

export interface FailureNote {
  cancelJob?: boolean;
  summary?: string;
  externalExecutionId?: string;
  updatedBy?: string;
}

/** Records a failed attempt, schedules its retryPolicy retry if one is due, and moves the stage on. */
export function failAttempt(d: Draft, stageName: string, actionName: string, errorDetails: ErrorDetails, now: string, note: FailureNote = {}): void {
  const action = d.state.stages[stageName]!.actions[actionName]!;
  d.emit('ActionExecutionFailed', {
    stageName,
    actionName,
    attempt: action.attempt,
    actionExecutionId: action.actionExecutionId,
    runOrder: action.runOrder,
    errorDetails,
    ...note,
    at: now,
  });
  const policy = actionDeclaration(d.state, stageName, actionName)?.retryPolicy;
  const retryable = action.kind === 'Job' && errorDetails.code !== 'ConfigurationError';
  if (policy && retryable && d.state.status === 'InProgress' && action.runAttempt < policy.maxAttempts) {
    d.emit('ActionRetryScheduled', {
      stageName,
      actionName,
      attempt: (d.state.attempts[stageName]?.[actionName] ?? action.attempt) + 1,
      fireAt: addSeconds(now, retryBackoffSeconds(policy, action.runAttempt)),
      at: now,
    });
  }
  advanceStage(d, stageName, now);
}
