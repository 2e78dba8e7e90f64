import type { EnterStage, PutApprovalResult, RetryStageExecution, StopPipelineExecution, Supersede } from './commands';
import { dispatchAction } from './dispatch';
import { Draft } from './draft';
import { ActionNotFound, ApprovalAlreadyCompleted, ApprovalTokenMismatch, DuplicatedStopRequest, ExecutionAlreadyFinished, NotLatestPipelineExecution, StageNotFailed } from './errors';
import type { ExecutionEvent } from './events';
import { actionDeclaration, advanceStage, failAttempt, stageDeclaration } from './progress';
import { isFinished, type StartedExecution } from './state';

/**
 * The lane coordinator let the execution in. A grant that no longer matches (the execution was
 * stopped or superseded meanwhile, or the grant is a replay) decides nothing.
 */
export function enterStage(command: EnterStage, s: StartedExecution): ExecutionEvent[] {
  const { stageName, now } = command.data;
  const entry = s.pendingEntry;
  if (s.status !== 'InProgress' || entry?.stageName !== stageName) return [];
  const declaration = stageDeclaration(s, stageName);
  const d = new Draft(s);
  d.emit('StageExecutionStarted', { stageName, retryMode: entry.retryMode, at: now });
  if (entry.retryMode === 'FAILED_ACTIONS') {
    const stage = d.state.stages[stageName]!;
    const retried = declaration.actions.filter((a) => ['Failed', 'Abandoned'].includes(stage.actions[a.name]?.status ?? ''));
    for (const action of retried) dispatchAction(d, stageName, action, 1, now);
  }
  advanceStage(d, stageName, now);
  return d.events;
}

export function putApprovalResult(command: PutApprovalResult, s: StartedExecution): ExecutionEvent[] {
  const c = command.data;
  const action = s.stages[c.stageName]?.actions[c.actionName];
  if (!actionDeclaration(s, c.stageName, c.actionName) || !action || action.kind !== 'Approval') {
    throw new ActionNotFound(`No approval was requested for action '${c.actionName}' of stage '${c.stageName}'`, { stageName: c.stageName, actionName: c.actionName });
  }
  if (action.token !== c.token) throw new ApprovalTokenMismatch(`The token does not match the pending approval of '${c.actionName}'`, { actionName: c.actionName });
  if (action.status !== 'InProgress') throw new ApprovalAlreadyCompleted(`The approval of '${c.actionName}' is already ${action.status}`, { actionName: c.actionName });
  const d = new Draft(s);
  const { status, summary } = c.result;
  if (status === 'Approved') {
    d.emit('ActionExecutionSucceeded', {
      stageName: c.stageName,
      actionName: c.actionName,
      attempt: action.attempt,
      outputArtifacts: [],
      outputVariables: {},
      summary,
      updatedBy: c.approvedBy,
      at: c.now,
    });
    advanceStage(d, c.stageName, c.now);
  } else {
    failAttempt(d, c.stageName, c.actionName, { code: 'Rejected', message: summary ? `Rejected: ${summary}` : 'Rejected' }, c.now, { summary, updatedBy: c.approvedBy });
  }
  return d.events;
}

/**
 * Resumes the stage where this execution failed or was stopped, once it is entered again
 * (the stage lock is requested anew). Only the execution that ran the stage last may do it.
 */
export function retryStageExecution(command: RetryStageExecution, s: StartedExecution): ExecutionEvent[] {
  const c = command.data;
  stageDeclaration(s, c.stageName);
  const stage = s.stages[c.stageName];
  const retryable = (s.status === 'Failed' || s.status === 'Stopped') && (stage?.status === 'Failed' || stage?.status === 'Stopped');
  if (!retryable) {
    throw new StageNotFailed(`Stage '${c.stageName}' of execution ${s.pipelineExecutionId} has not failed (${stage?.status ?? 'not run'})`, { stageName: c.stageName });
  }
  if (c.latestExecutionIdOfStage !== s.pipelineExecutionId) {
    throw new NotLatestPipelineExecution(`Stage '${c.stageName}' last ran in execution ${c.latestExecutionIdOfStage}, not ${s.pipelineExecutionId}`, { stageName: c.stageName });
  }
  const d = new Draft(s);
  d.emit('StageEntryRequested', { stageName: c.stageName, reason: 'Retry', retryMode: c.retryMode, at: c.now });
  return d.events;
}

/** Stop-and-wait lets running actions end; abandon ends them at once. Either way nothing new starts. */
export function stopPipelineExecution(command: StopPipelineExecution, s: StartedExecution): ExecutionEvent[] {
  const { abandon, reason, now } = command.data;
  if (isFinished(s)) throw new ExecutionAlreadyFinished(`Execution ${s.pipelineExecutionId} is already ${s.status}`, { status: s.status });
  if (s.status === 'Stopping' && (!abandon || s.stop?.abandon)) {
    throw new DuplicatedStopRequest(`Execution ${s.pipelineExecutionId} is already stopping`, {});
  }
  const d = new Draft(s);
  d.emit('PipelineExecutionStopping', { abandon, reason, at: now });
  const stageName = s.currentStage;
  const stage = stageName ? d.state.stages[stageName] : undefined;
  if (!stageName || !stage || stage.status !== 'Stopping') {
    // Waiting to enter a stage: nothing runs, so the stop is immediate.
    d.emit('PipelineExecutionStopped', { reason, at: now });
    return d.events;
  }
  if (abandon) {
    for (const action of Object.values(stage.actions).filter((a) => a.status === 'InProgress')) {
      d.emit('ActionExecutionAbandoned', { stageName, actionName: action.actionName, attempt: action.attempt, reason, at: now });
    }
  }
  advanceStage(d, stageName, now);
  return d.events;
}

/** Only an execution waiting to enter a stage can be superseded; anything else is a stale notice. */
export function supersede(command: Supersede, s: StartedExecution): ExecutionEvent[] {
  const { supersededBy, now } = command.data;
  const inStage = s.currentStage !== undefined && ['InProgress', 'Stopping'].includes(s.stages[s.currentStage]?.status ?? '');
  if (s.status !== 'InProgress' || !s.pendingEntry || inStage) return [];
  const d = new Draft(s);
  d.emit('PipelineExecutionSuperseded', { supersededBy, at: now });
  return d.events;
}
