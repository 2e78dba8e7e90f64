import type { Command, Event } from '@pipewright/decider';
import type { ExecutionMode } from '@pipewright/pipeline-model';
import { eventFactory } from '../canonical';

/** Per-pipeline coordination: which execution may be in which stage, and the stage transitions. */
export type RequestStageEntry = Command<
  'RequestStageEntry',
  {
    pipelineExecutionId: string;
    stageName: string;
    executionMode: ExecutionMode;
    /** False for the first stage, a stage retry or a rollback: those do not pass a transition. */
    viaTransition: boolean;
    /** The execution's start time orders QUEUED executions and decides which one is newer. */
    startedAt: string;
    now: string;
  }
>;
export type ReleaseStage = Command<'ReleaseStage', { pipelineExecutionId: string; stageName: string; now: string }>;
/** Inbound transition of `stageName` (an Outbound transition of stage N is the inbound one of N+1). */
export type DisableStageTransition = Command<'DisableStageTransition', { stageName: string; reason: string; changedBy?: string; now: string }>;
export type EnableStageTransition = Command<'EnableStageTransition', { stageName: string; changedBy?: string; now: string }>;
export type ExecutionFinished = Command<'ExecutionFinished', { pipelineExecutionId: string; now: string }>;

export type LanesCommand = RequestStageEntry | ReleaseStage | DisableStageTransition | EnableStageTransition | ExecutionFinished;

export type LanesEvent =
  | Event<'ExecutionWaitingForStage', { pipelineExecutionId: string; stageName: string; executionMode: ExecutionMode; viaTransition: boolean; startedAt: string; at: string }>
  | Event<'StageEntryGranted', { pipelineExecutionId: string; stageName: string; executionMode: ExecutionMode; at: string }>
  | Event<'ExecutionSuperseded', { pipelineExecutionId: string; stageName: string; supersededBy: string; at: string }>
  | Event<'StageReleased', { pipelineExecutionId: string; stageName: string; at: string }>
  /** The execution finished: every lock it held and every wait it was in is gone. */
  | Event<'ExecutionReleased', { pipelineExecutionId: string; at: string }>
  | Event<'TransitionDisabled', { stageName: string; reason: string; changedBy?: string; at: string }>
  | Event<'TransitionEnabled', { stageName: string; changedBy?: string; at: string }>;

export const lanesCommand = eventFactory<LanesCommand>();
export const lanesEvent = eventFactory<LanesEvent>();

export interface WaitingExecution {
  pipelineExecutionId: string;
  executionMode: ExecutionMode;
  viaTransition: boolean;
  startedAt: string;
  /** Arrival order, the tie-break between equal start times. */
  seq: number;
}

export interface StageLane {
  occupants: { pipelineExecutionId: string; executionMode: ExecutionMode }[];
  waiting: WaitingExecution[];
  transition: { enabled: boolean; disabledReason?: string; lastChangedBy?: string; lastChangedAt?: string };
  /** The execution that entered the stage last: only it may retry the stage. */
  latestExecutionId?: string;
}

export interface LanesState {
  stages: Record<string, StageLane>;
  nextSeq: number;
}

export const initialLanesState = (): LanesState => ({ stages: {}, nextSeq: 1 });

export const emptyLane = (): StageLane => ({ occupants: [], waiting: [], transition: { enabled: true } });

export function laneOf(state: LanesState, stageName: string): StageLane {
  return state.stages[stageName] ?? emptyLane();
}

export function latestExecutionInStage(state: LanesState, stageName: string): string | undefined {
  return state.stages[stageName]?.latestExecutionId;
}

export function evolveLanes(state: LanesState, event: LanesEvent): LanesState {
  const change = (stageName: string, update: (lane: StageLane) => StageLane): LanesState => ({
    ...state,
    stages: { ...state.stages, [stageName]: update(laneOf(state, stageName)) },
  });
  const d = event.data;
  switch (event.type) {
    case 'ExecutionWaitingForStage': {
      const { pipelineExecutionId, executionMode, viaTransition, startedAt } = event.data;
      const next = change(event.data.stageName, (lane) => ({
        ...lane,
        waiting: [...lane.waiting, { pipelineExecutionId, executionMode, viaTransition, startedAt, seq: state.nextSeq }],
      }));
      return { ...next, nextSeq: state.nextSeq + 1 };
    }
    case 'StageEntryGranted': {
      const { pipelineExecutionId, executionMode } = event.data;
      return change(event.data.stageName, (lane) => ({
        ...lane,
        waiting: lane.waiting.filter((w) => w.pipelineExecutionId !== pipelineExecutionId),
        occupants: [...lane.occupants, { pipelineExecutionId, executionMode }],
        latestExecutionId: pipelineExecutionId,
      }));
    }
    case 'ExecutionSuperseded':
      return change(event.data.stageName, (lane) => ({ ...lane, waiting: lane.waiting.filter((w) => w.pipelineExecutionId !== event.data.pipelineExecutionId) }));
    case 'StageReleased':
      return change(event.data.stageName, (lane) => ({ ...lane, occupants: lane.occupants.filter((o) => o.pipelineExecutionId !== event.data.pipelineExecutionId) }));
    case 'ExecutionReleased': {
      const id = event.data.pipelineExecutionId;
      const stages = Object.fromEntries(
        Object.entries(state.stages).map(([name, lane]) => [
          name,
          { ...lane, occupants: lane.occupants.filter((o) => o.pipelineExecutionId !== id), waiting: lane.waiting.filter((w) => w.pipelineExecutionId !== id) },
        ]),
      );
      return { ...state, stages };
    }
    case 'TransitionDisabled':
      return change(event.data.stageName, (lane) => ({
        ...lane,
        transition: { enabled: false, disabledReason: event.data.reason, lastChangedBy: event.data.changedBy, lastChangedAt: d.at },
      }));
    case 'TransitionEnabled':
      return change(event.data.stageName, (lane) => ({ ...lane, transition: { enabled: true, lastChangedBy: event.data.changedBy, lastChangedAt: d.at } }));
  }
}
