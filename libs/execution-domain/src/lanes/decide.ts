import { DomainError, type Decider } from '@pipewright/decider';
import { Draft } from '../draft';
import { evolveLanes, initialLanesState, laneOf, lanesEvent, type LanesCommand, type LanesEvent, type LanesState, type StageLane, type WaitingExecution } from './lanes';

export class TransitionReasonRequired extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}

type LanesDraft = Draft<LanesEvent, LanesState>;

const lockHeld = (lane: StageLane) => lane.occupants.some((o) => o.executionMode !== 'PARALLEL');
const isOlder = (a: Pick<WaitingExecution, 'startedAt' | 'seq'>, b: Pick<WaitingExecution, 'startedAt' | 'seq'>) =>
  a.startedAt < b.startedAt || (a.startedAt === b.startedAt && a.seq < b.seq);

/**
 * Who may go in now, in start order: not through a disabled transition; not past a stage lock
 * (SUPERSEDED and QUEUED hold one, PARALLEL does not); a QUEUED execution never overtakes an
 * earlier one that waits for the lock.
 */
function admissible(lane: StageLane): WaitingExecution[] {
  const admitted: WaitingExecution[] = [];
  let locked = lockHeld(lane);
  for (const w of [...lane.waiting].sort((a, b) => (isOlder(a, b) ? -1 : 1))) {
    if (w.viaTransition && !lane.transition.enabled) continue;
    if (w.executionMode === 'PARALLEL') {
      admitted.push(w);
      continue;
    }
    if (locked) continue;
    admitted.push(w);
    locked = true;
  }
  return admitted;
}

function admit(d: LanesDraft, stageName: string, now: string): void {
  for (const w of admissible(laneOf(d.state, stageName))) {
    d.emit('StageEntryGranted', { pipelineExecutionId: w.pipelineExecutionId, stageName, executionMode: w.executionMode, at: now });
  }
}

function requestStageEntry(c: Extract<LanesCommand, { type: 'RequestStageEntry' }>['data'], d: LanesDraft): void {
  const lane = laneOf(d.state, c.stageName);
  const id = c.pipelineExecutionId;
  if (lane.occupants.some((o) => o.pipelineExecutionId === id) || lane.waiting.some((w) => w.pipelineExecutionId === id)) return;
  const request = { startedAt: c.startedAt, seq: d.state.nextSeq };
  if (c.executionMode === 'SUPERSEDED') {
    // One SUPERSEDED execution waits per stage: the newer takes the older's place.
    for (const w of lane.waiting.filter((other) => other.executionMode === 'SUPERSEDED')) {
      if (isOlder(request, w)) {
        d.emit('ExecutionSuperseded', { pipelineExecutionId: id, stageName: c.stageName, supersededBy: w.pipelineExecutionId, at: c.now });
        return;
      }
      d.emit('ExecutionSuperseded', { pipelineExecutionId: w.pipelineExecutionId, stageName: c.stageName, supersededBy: id, at: c.now });
    }
  }
  const { now, ...asked } = c;
  const waiting = { ...asked, at: now };
  // Would it be let in if it queued now? Then it enters at once instead of waiting.
  const trial = evolveLanes(d.state, lanesEvent('ExecutionWaitingForStage', waiting));
  if (admissible(laneOf(trial, c.stageName)).some((w) => w.pipelineExecutionId === id)) {
    d.emit('StageEntryGranted', { pipelineExecutionId: id, stageName: c.stageName, executionMode: c.executionMode, at: c.now });
  } else {
    d.emit('ExecutionWaitingForStage', waiting);
  }
}

export function decideLanes(command: LanesCommand, state: LanesState): LanesEvent[] {
  const d: LanesDraft = new Draft(state, evolveLanes);
  switch (command.type) {
    case 'RequestStageEntry':
      requestStageEntry(command.data, d);
      break;
    case 'ReleaseStage': {
      const { pipelineExecutionId, stageName, now } = command.data;
      if (!laneOf(state, stageName).occupants.some((o) => o.pipelineExecutionId === pipelineExecutionId)) break;
      d.emit('StageReleased', { pipelineExecutionId, stageName, at: now });
      admit(d, stageName, now);
      break;
    }
    case 'ExecutionFinished': {
      const { pipelineExecutionId, now } = command.data;
      const involved = Object.entries(state.stages)
        .filter(([, lane]) => lane.occupants.some((o) => o.pipelineExecutionId === pipelineExecutionId) || lane.waiting.some((w) => w.pipelineExecutionId === pipelineExecutionId))
        .map(([name]) => name);
      if (!involved.length) break;
      d.emit('ExecutionReleased', { pipelineExecutionId, at: now });
      for (const stageName of involved) admit(d, stageName, now);
      break;
    }
    case 'DisableStageTransition': {
      const { stageName, reason, changedBy, now } = command.data;
      if (!reason?.trim()) throw new TransitionReasonRequired(`Disabling the transition into '${stageName}' needs a reason`, { stageName });
      if (!laneOf(state, stageName).transition.enabled) break;
      d.emit('TransitionDisabled', { stageName, reason, changedBy, at: now });
      break;
    }
    case 'EnableStageTransition': {
      const { stageName, changedBy, now } = command.data;
      if (laneOf(state, stageName).transition.enabled) break;
      d.emit('TransitionEnabled', { stageName, changedBy, at: now });
      admit(d, stageName, now);
      break;
    }
    default: {
      const unhandled: never = command;
      throw new Error(`Unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
  return d.events;
}

/** One pipeline's lanes stream: stage locks by execution mode, and inbound transitions. */
export const pipelineLanesDecider: Decider<LanesCommand, LanesEvent, LanesState> = {
  decide: decideLanes,
  evolve: evolveLanes,
  initialState: initialLanesState,
};
