import type { Decider } from '@pipewright/decider';
import type { ExecutionCommand } from './commands';
import { acknowledgeJob, completeJob, continueJob, failJob, recordJobHeartbeat } from './jobs';
import { enterStage, putApprovalResult, retryStageExecution, stopPipelineExecution, supersede } from './control';
import { PipelineExecutionNotFound } from './errors';
import type { ExecutionEvent } from './events';
import { evolveExecution } from './evolve';
import { rollbackStage, startPipelineExecution } from './start';
import { initialExecutionState, type ExecutionState, type StartedExecution } from './state';
import { fireTimer } from './timers';

function started(state: ExecutionState): StartedExecution {
  if (state.status === 'NotStarted') throw new PipelineExecutionNotFound('The pipeline execution does not exist');
  return state;
}

export function decideExecution(command: ExecutionCommand, state: ExecutionState): ExecutionEvent[] {
  switch (command.type) {
    case 'StartPipelineExecution':
      return startPipelineExecution(command, state);
    case 'RollbackStage':
      return rollbackStage(command, state);
    case 'EnterStage':
      return enterStage(command, started(state));
    case 'AcknowledgeJob':
      return acknowledgeJob(command, started(state));
    case 'RecordJobHeartbeat':
      return recordJobHeartbeat(command, started(state));
    case 'ContinueJob':
      return continueJob(command, started(state));
    case 'CompleteJob':
      return completeJob(command, started(state));
    case 'FailJob':
      return failJob(command, started(state));
    case 'FireTimer':
      return fireTimer(command, started(state));
    case 'PutApprovalResult':
      return putApprovalResult(command, started(state));
    case 'RetryStageExecution':
      return retryStageExecution(command, started(state));
    case 'StopPipelineExecution':
      return stopPipelineExecution(command, started(state));
    case 'Supersede':
      return supersede(command, started(state));
    default: {
      const unhandled: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

/** One pipeline execution's stream: `{ decide, evolve, initialState }`. */
export const executionDecider: Decider<ExecutionCommand, ExecutionEvent, ExecutionState> = {
  decide: decideExecution,
  evolve: evolveExecution,
  initialState: initialExecutionState,
};
