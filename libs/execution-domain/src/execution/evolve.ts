import type { ExecutionEvent } from './events';
import type { ActionExecutionState, ExecutionState, StageExecutionState, StartedExecution } from './state';

/** Folds one event into the state; a switch that applies each event and decides nothing. */
export function evolveExecution(state: ExecutionState, event: ExecutionEvent): ExecutionState {
  if (event.type === 'PipelineExecutionStarted') {
    const d = event.data;
    return {
      status: 'InProgress',
      pipelineExecutionId: d.pipelineExecutionId,
      pipelineName: d.pipelineName,
      pipelineVersion: d.pipelineVersion,
      declaration: d.declaration,
      executionMode: d.executionMode,
      executionType: d.executionType,
      trigger: d.trigger,
      sourceRevisions: d.sourceRevisions,
      variables: d.variables,
      seed: d.seed,
      heartbeatTimeoutSeconds: d.heartbeatTimeoutSeconds,
      rollback: d.rollback,
      stageScope: d.rollback ? [d.rollback.stageName] : d.declaration.stages.map((s) => s.name),
      stages: {},
      attempts: {},
      jobs: {},
      startTime: d.at,
      lastUpdateTime: d.at,
    };
  }
  if (state.status === 'NotStarted') return state;
  const s: StartedExecution = { ...state, lastUpdateTime: event.data.at };
  switch (event.type) {
    case 'StageEntryRequested': {
      const { stageName, reason, retryMode, at } = event.data;
      const retried = reason === 'Retry';
      return {
        ...s,
        status: 'InProgress',
        pendingEntry: { stageName, reason, retryMode, requestedAt: at },
        ...(retried ? { stop: undefined, statusSummary: undefined, endTime: undefined } : {}),
      };
    }
    case 'StageExecutionStarted': {
      const { stageName, retryMode, at } = event.data;
      const previous = s.stages[stageName];
      // FAILED_ACTIONS keeps what succeeded; a fresh entry or ALL_ACTIONS starts the stage over.
      const kept = retryMode === 'FAILED_ACTIONS' && previous ? previous.actions : {};
      const stage: StageExecutionState = { stageName, status: 'InProgress', actions: kept, startTime: at, lastUpdateTime: at };
      return { ...s, pendingEntry: undefined, currentStage: stageName, stages: { ...s.stages, [stageName]: stage } };
    }
    case 'ActionExecutionStarted': {
      const d = event.data;
      const action: ActionExecutionState = {
        actionName: d.actionName,
        runOrder: d.runOrder,
        attempt: d.attempt,
        runAttempt: d.runAttempt,
        actionExecutionId: d.actionExecutionId,
        status: 'InProgress',
        kind: 'Job',
        actionTypeId: d.actionTypeId,
        jobId: d.jobId,
        nonce: d.nonce,
        acknowledged: false,
        configuration: d.configuration,
        inputArtifacts: d.inputArtifacts,
        outputArtifacts: [],
        outputVariables: {},
        namespace: d.namespace,
        deadline: d.timeoutAt,
        dispatched: d,
        startTime: d.at,
        lastUpdateTime: d.at,
      };
      const withAction = putAction(s, d.stageName, action);
      return { ...withAction, jobs: { ...s.jobs, [d.jobId]: { stageName: d.stageName, actionName: d.actionName, attempt: d.attempt, nonce: d.nonce } } };
    }
    case 'ApprovalRequested': {
      const d = event.data;
      return putAction(s, d.stageName, {
        actionName: d.actionName,
        runOrder: d.runOrder,
        attempt: d.attempt,
        runAttempt: 1,
        actionExecutionId: d.actionExecutionId,
        status: 'InProgress',
        kind: 'Approval',
        actionTypeId: d.actionTypeId,
        token: d.token,
        configuration: d.configuration,
        inputArtifacts: [],
        outputArtifacts: [],
        outputVariables: {},
        deadline: d.expiresAt,
        startTime: d.at,
        lastUpdateTime: d.at,
      });
    }
    case 'JobAcknowledged':
      return updateAction(s, event.data.stageName, event.data.actionName, (a) => ({ ...a, acknowledged: true, lastUpdateTime: event.data.at }));
    case 'JobHeartbeatRecorded':
      return updateAction(s, event.data.stageName, event.data.actionName, (a) => ({ ...a, lastHeartbeatAt: event.data.at, lastUpdateTime: event.data.at }));
    case 'JobContinued': {
      const d = event.data;
      // Handed out again: the next worker acknowledges it afresh.
      return updateAction(s, d.stageName, d.actionName, (a) => ({ ...a, acknowledged: false, continuationToken: d.continuationToken, summary: d.summary ?? a.summary, lastHeartbeatAt: d.at, lastUpdateTime: d.at }));
    }
    case 'ActionExecutionSucceeded': {
      const d = event.data;
      const next = updateAction(s, d.stageName, d.actionName, (a) => ({
        ...a,
        status: 'Succeeded',
        outputArtifacts: d.outputArtifacts,
        outputVariables: d.outputVariables,
        summary: d.summary,
        externalExecutionId: d.externalExecutionId,
        externalExecutionUrl: d.externalExecutionUrl,
        currentRevision: d.currentRevision,
        updatedBy: d.updatedBy,
        lastUpdateTime: d.at,
        endTime: d.at,
      }));
      return recordWorkerResult(next, d.stageName, d.actionName, 'Succeeded');
    }
    case 'ActionExecutionFailed': {
      const d = event.data;
      const existing = s.stages[d.stageName]?.actions[d.actionName];
      const base: ActionExecutionState =
        existing?.attempt === d.attempt
          ? existing
          : {
              // Refused at dispatch: the attempt never started a job or an approval.
              actionName: d.actionName,
              runOrder: d.runOrder,
              attempt: d.attempt,
              runAttempt: 1,
              actionExecutionId: d.actionExecutionId,
              status: 'Failed',
              kind: 'Job',
              configuration: {},
              inputArtifacts: [],
              outputArtifacts: [],
              outputVariables: {},
              startTime: d.at,
              lastUpdateTime: d.at,
            };
      const failed: ActionExecutionState = {
        ...base,
        status: 'Failed',
        errorDetails: d.errorDetails,
        summary: d.summary ?? base.summary,
        externalExecutionId: d.externalExecutionId ?? base.externalExecutionId,
        updatedBy: d.updatedBy,
        lastUpdateTime: d.at,
        endTime: d.at,
      };
      const next = putAction(s, d.stageName, failed);
      // A failure the orchestrator decided (timeout) is not the worker's result: the worker's own may still come.
      return d.cancelJob ? next : recordWorkerResult(next, d.stageName, d.actionName, 'Failed');
    }
    case 'ActionRetryScheduled': {
      const d = event.data;
      return updateAction(s, d.stageName, d.actionName, (a) => ({ ...a, pendingRetry: { attempt: d.attempt, fireAt: d.fireAt } }));
    }
    case 'ActionExecutionAbandoned': {
      const d = event.data;
      return updateAction(s, d.stageName, d.actionName, (a) => ({ ...a, status: 'Abandoned', lastUpdateTime: d.at, endTime: d.at }));
    }
    case 'StageExecutionSucceeded':
      return setStageStatus(s, event.data.stageName, 'Succeeded', event.data.at);
    case 'StageExecutionFailed':
      return setStageStatus(s, event.data.stageName, 'Failed', event.data.at);
    case 'StageExecutionStopped':
      return setStageStatus(s, event.data.stageName, 'Stopped', event.data.at);
    case 'PipelineExecutionSucceeded':
      return { ...s, status: 'Succeeded', endTime: event.data.at };
    case 'PipelineExecutionFailed':
      return { ...s, status: 'Failed', statusSummary: event.data.statusSummary, endTime: event.data.at };
    case 'PipelineExecutionStopping': {
      const { abandon, reason } = event.data;
      // No new attempt starts once a stop is requested: pending retries are dropped.
      const stages = mapValues(s.stages, (stage) => ({
        ...stage,
        status: stage.status === 'InProgress' ? ('Stopping' as const) : stage.status,
        actions: mapValues(stage.actions, (a) => (a.pendingRetry ? { ...a, pendingRetry: undefined } : a)),
      }));
      return { ...s, status: 'Stopping', stop: { abandon, reason }, statusSummary: reason, stages };
    }
    case 'PipelineExecutionStopped':
      return { ...s, status: 'Stopped', pendingEntry: undefined, endTime: event.data.at };
    case 'PipelineExecutionSuperseded':
      return { ...s, status: 'Superseded', pendingEntry: undefined, supersededBy: event.data.supersededBy, endTime: event.data.at };
  }
}

function putAction(s: StartedExecution, stageName: string, action: ActionExecutionState): StartedExecution {
  const stage = s.stages[stageName];
  const counters = s.attempts[stageName] ?? {};
  const attempts = { ...s.attempts, [stageName]: { ...counters, [action.actionName]: Math.max(counters[action.actionName] ?? 0, action.attempt) } };
  if (!stage) return { ...s, attempts };
  return {
    ...s,
    attempts,
    stages: { ...s.stages, [stageName]: { ...stage, lastUpdateTime: action.lastUpdateTime, actions: { ...stage.actions, [action.actionName]: action } } },
  };
}

function updateAction(s: StartedExecution, stageName: string, actionName: string, change: (a: ActionExecutionState) => ActionExecutionState): StartedExecution {
  const action = s.stages[stageName]?.actions[actionName];
  return action ? putAction(s, stageName, change(action)) : s;
}

function recordWorkerResult(s: StartedExecution, stageName: string, actionName: string, result: 'Succeeded' | 'Failed'): StartedExecution {
  const jobId = s.stages[stageName]?.actions[actionName]?.jobId;
  const job = jobId ? s.jobs[jobId] : undefined;
  return jobId && job ? { ...s, jobs: { ...s.jobs, [jobId]: { ...job, workerResult: result } } } : s;
}

function setStageStatus(s: StartedExecution, stageName: string, status: StageExecutionState['status'], at: string): StartedExecution {
  const stage = s.stages[stageName];
  if (!stage) return s;
  return { ...s, stages: { ...s.stages, [stageName]: { ...stage, status, lastUpdateTime: at, endTime: at } } };
}

function mapValues<T>(record: Record<string, T>, change: (value: T) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, change(v)]));
}
