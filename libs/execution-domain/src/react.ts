import type { ExecutionCommand } from './execution/commands';
import type { ExecutionEvent } from './execution/events';
import type { StartedExecution } from './execution/state';
import { lanesCommand, type LanesCommand, type LanesEvent } from './lanes/lanes';

/**
 * The process manager between the two kinds of stream, pure: an execution's events become
 * commands for its pipeline's lanes, and lane events become commands for executions. Each
 * command's `now` is the time of the event that caused it, so a replay produces the same commands.
 */
export function lanesCommandsFor(event: ExecutionEvent, execution: StartedExecution): LanesCommand[] {
  const pipelineExecutionId = execution.pipelineExecutionId;
  switch (event.type) {
    case 'StageEntryRequested':
      return [
        lanesCommand('RequestStageEntry', {
          pipelineExecutionId,
          stageName: event.data.stageName,
          executionMode: execution.executionMode,
          viaTransition: event.data.reason === 'Transition',
          startedAt: execution.startTime,
          now: event.data.at,
        }),
      ];
    case 'StageExecutionSucceeded':
      return [lanesCommand('ReleaseStage', { pipelineExecutionId, stageName: event.data.stageName, now: event.data.at })];
    case 'PipelineExecutionSucceeded':
    case 'PipelineExecutionFailed':
    case 'PipelineExecutionStopped':
    case 'PipelineExecutionSuperseded':
      return [lanesCommand('ExecutionFinished', { pipelineExecutionId, now: event.data.at })];
    default:
      return [];
  }
}

export interface ExecutionCommandFor {
  pipelineExecutionId: string;
  command: ExecutionCommand;
}

export function executionCommandsFor(event: LanesEvent): ExecutionCommandFor[] {
  switch (event.type) {
    case 'StageEntryGranted':
      return [{ pipelineExecutionId: event.data.pipelineExecutionId, command: { type: 'EnterStage', data: { stageName: event.data.stageName, now: event.data.at } } }];
    case 'ExecutionSuperseded':
      return [
        {
          pipelineExecutionId: event.data.pipelineExecutionId,
          command: { type: 'Supersede', data: { now: event.data.at, supersededBy: event.data.supersededBy } },
        },
      ];
    default:
      return [];
  }
}
