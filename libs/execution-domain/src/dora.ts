import type { ExecutionEvent } from './execution/events';

/**
 * The four DORA figures of a pipeline, computed from its executions' events.
 *
 * Definitions (docs/operations.md, "DORA figures"):
 * - deployment: an execution that succeeded; it counts in the window its success falls in.
 * - deployment frequency: deployments in the window / the window's length in days.
 * - lead time for changes: per deployment, success time − change time; the change time is the
 *   earliest CommitterDate output variable of its source actions, else the execution's start
 *   (its trigger time). The figure is the median over the window's deployments.
 * - change failure rate: failed / (succeeded + failed) over executions that finished in the window
 *   (stopped and superseded executions changed nothing and are left out).
 * - time to restore service: from the first failure after a success (or after the first
 *   execution) to the next success; the figure is the median over restorations whose success falls
 *   in the window. A failure not yet followed by a success leaves the pipeline `unrestored`.
 */
export type DoraStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped' | 'Superseded';

/** What the figures need of one execution: the read model's row. */
export interface DoraExecution {
  pipelineExecutionId: string;
  pipelineName: string;
  status: DoraStatus;
  startTime: string;
  changeTime: string;
  finishTime?: string;
}

export interface DoraWindow {
  start: string;
  end: string;
}

export interface DoraFigures {
  deploymentCount: number;
  deploymentsPerDay: number;
  leadTimeForChangesSeconds: number;
  changeFailureRate: number;
  failedCount: number;
  timeToRestoreSeconds: number;
  restoredCount: number;
  unrestored: boolean;
}

/** The source action output variable that carries the commit time of the revision it fetched. */
export const COMMIT_TIME_VARIABLE = 'CommitterDate';

const FINISHED: Partial<Record<ExecutionEvent['type'], DoraStatus>> = {
  PipelineExecutionSucceeded: 'Succeeded',
  PipelineExecutionFailed: 'Failed',
  PipelineExecutionStopped: 'Stopped',
  PipelineExecutionSuperseded: 'Superseded',
};

/**
 * evolve for one execution's row: undefined until its start; events of no interest leave it as it is.
 * A CommitterDate that is not an instant is ignored (the start time stands in).
 */
/**
 * Whether an event can change an execution's DORA row (its start, a commit time, its finish): the
 * projection reads the row only for these, not for every event of the execution.
 */
export function changesDoraExecution(event: ExecutionEvent): boolean {
  if (event.type === 'PipelineExecutionStarted' || FINISHED[event.type] !== undefined) return true;
  return event.type === 'ActionExecutionSucceeded' && event.data.outputVariables?.[COMMIT_TIME_VARIABLE] !== undefined;
}

export function evolveDoraExecution(row: DoraExecution | undefined, event: ExecutionEvent): DoraExecution | undefined {
  if (event.type === 'PipelineExecutionStarted') {
    const { pipelineExecutionId, pipelineName, at } = event.data;
    return { pipelineExecutionId, pipelineName, status: 'InProgress', startTime: at, changeTime: at };
  }
  if (!row) return row;
  if (event.type === 'ActionExecutionSucceeded') {
    const committed = event.data.outputVariables?.[COMMIT_TIME_VARIABLE];
    if (!committed || Number.isNaN(Date.parse(committed))) return row;
    const instant = new Date(committed).toISOString();
    return Date.parse(instant) < Date.parse(row.changeTime) ? { ...row, changeTime: instant } : row;
  }
  const status = FINISHED[event.type];
  if (status && row.status === 'InProgress') return { ...row, status, finishTime: event.data.at };
  return row;
}

const DAY_MS = 24 * 3600 * 1000;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const seconds = (from: string, to: string) => Math.max(0, Date.parse(to) - Date.parse(from)) / 1000;

/** The figures of one pipeline's executions over [window.start, window.end). */
export function doraFigures(executions: readonly DoraExecution[], window: DoraWindow): DoraFigures {
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  const inWindow = (instant: string) => Date.parse(instant) >= start && Date.parse(instant) < end;
  const outcomes = executions
    .filter((e): e is DoraExecution & { finishTime: string } => (e.status === 'Succeeded' || e.status === 'Failed') && e.finishTime !== undefined)
    .filter((e) => Date.parse(e.finishTime) < end)
    .sort((a, b) => Date.parse(a.finishTime) - Date.parse(b.finishTime) || a.pipelineExecutionId.localeCompare(b.pipelineExecutionId));

  const deployments = outcomes.filter((e) => e.status === 'Succeeded' && inWindow(e.finishTime));
  const failures = outcomes.filter((e) => e.status === 'Failed' && inWindow(e.finishTime));
  const finishedInWindow = deployments.length + failures.length;

  const restorations: number[] = [];
  let failingSince: string | undefined;
  for (const e of outcomes) {
    if (e.status === 'Failed') failingSince ??= e.finishTime;
    else if (failingSince !== undefined) {
      if (inWindow(e.finishTime)) restorations.push(seconds(failingSince, e.finishTime));
      failingSince = undefined;
    }
  }

  return {
    deploymentCount: deployments.length,
    deploymentsPerDay: end > start ? deployments.length / ((end - start) / DAY_MS) : 0,
    leadTimeForChangesSeconds: median(deployments.map((e) => seconds(e.changeTime, e.finishTime))),
    changeFailureRate: finishedInWindow === 0 ? 0 : failures.length / finishedInWindow,
    failedCount: failures.length,
    timeToRestoreSeconds: median(restorations),
    restoredCount: restorations.length,
    unrestored: failingSince !== undefined,
  };
}
