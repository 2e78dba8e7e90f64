import { changesDoraExecution, doraFigures, evolveDoraExecution, executionEvent, type DoraExecution, type ExecutionEvent } from '../src';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
/** An instant `h` hours after the start of March 2026. */
const hour = (h: number) => new Date(T0 + h * 3600_000).toISOString();
const DAY = { start: hour(0), end: hour(24) };

function execution(id: string, status: DoraExecution['status'], startHour: number, finishHour?: number, changeHour = startHour): DoraExecution {
  return { pipelineExecutionId: id, pipelineName: 'release', status, startTime: hour(startHour), changeTime: hour(changeHour), finishTime: finishHour === undefined ? undefined : hour(finishHour) };
}

const started = (id: string, at: string) =>
  ({ type: 'PipelineExecutionStarted', data: { pipelineExecutionId: id, pipelineName: 'release', at } }) as unknown as ExecutionEvent;
const sourceSucceeded = (outputVariables: Record<string, string>, at: string) =>
  executionEvent('ActionExecutionSucceeded', { stageName: 'Source', actionName: 'Source', attempt: 1, outputArtifacts: [], outputVariables, at });

describe('a DORA row, given an execution history', () => {
  const history = (...events: ExecutionEvent[]) => events.reduce<DoraExecution | undefined>(evolveDoraExecution, undefined);

  it('starts in progress with the start as the change time', () => {
    expect(history(started('e1', hour(1)))).toEqual(execution('e1', 'InProgress', 1));
  });

  it('takes the earliest CommitterDate of its source actions as the change time', () => {
    const row = history(started('e1', hour(5)), sourceSucceeded({ CommitterDate: hour(3) }, hour(5)), sourceSucceeded({ CommitterDate: hour(2) }, hour(5)), sourceSucceeded({ CommitterDate: hour(4) }, hour(5)));
    expect(row?.changeTime).toBe(hour(2));
  });

  it('ignores a CommitterDate that is not an instant, and one after the start', () => {
    expect(history(started('e1', hour(5)), sourceSucceeded({ CommitterDate: 'yesterday' }, hour(5)))?.changeTime).toBe(hour(5));
    expect(history(started('e1', hour(5)), sourceSucceeded({ CommitterDate: hour(6) }, hour(5)))?.changeTime).toBe(hour(5));
  });

  it.each([
    ['PipelineExecutionSucceeded', 'Succeeded', {}],
    ['PipelineExecutionFailed', 'Failed', { statusSummary: 'boom' }],
    ['PipelineExecutionStopped', 'Stopped', {}],
    ['PipelineExecutionSuperseded', 'Superseded', { supersededBy: 'e2' }],
  ] as const)('when %s is recorded, is %s at its time, once', (type, status, data) => {
    const finish = { type, data: { ...data, at: hour(2) } } as ExecutionEvent;
    const later = executionEvent('PipelineExecutionFailed', { statusSummary: 'late', at: hour(3) });
    expect(history(started('e1', hour(1)), finish, later)).toEqual(execution('e1', status, 1, 2));
  });

  it('has no row without its start', () => {
    expect(history(executionEvent('PipelineExecutionSucceeded', { at: hour(2) }))).toBeUndefined();
  });

  it('is changed only by a start, a finish and a source commit time: every other event leaves it as it is', () => {
    const others = [
      executionEvent('ActionExecutionSucceeded', { stageName: 'Build', actionName: 'Compile', attempt: 1, outputArtifacts: [], outputVariables: { Version: '1' }, at: hour(2) }),
      { type: 'JobAcknowledged', data: { jobId: 'j1', at: hour(2) } } as unknown as ExecutionEvent,
      { type: 'StageExecutionSucceeded', data: { stageName: 'Build', at: hour(2) } } as unknown as ExecutionEvent,
    ];
    const row = history(started('e1', hour(1)));
    for (const event of others) {
      expect(changesDoraExecution(event)).toBe(false);
      expect(evolveDoraExecution(row, event)).toBe(row);
    }
    expect([started('e1', hour(1)), sourceSucceeded({ CommitterDate: hour(0) }, hour(1)), executionEvent('PipelineExecutionSucceeded', { at: hour(2) })].map(changesDoraExecution)).toEqual([true, true, true]);
  });
});

describe('DORA figures over a window', () => {
  it('are all zero when nothing finished', () => {
    expect(doraFigures([execution('e1', 'InProgress', 1)], DAY)).toEqual({
      deploymentCount: 0,
      deploymentsPerDay: 0,
      leadTimeForChangesSeconds: 0,
      changeFailureRate: 0,
      failedCount: 0,
      timeToRestoreSeconds: 0,
      restoredCount: 0,
      unrestored: false,
    });
  });

  it('count succeeded executions finished in the window as deployments, per day', () => {
    const figures = doraFigures(
      [execution('before', 'Succeeded', -3, -1), execution('a', 'Succeeded', 1, 2), execution('b', 'Succeeded', 3, 5), execution('after', 'Succeeded', 23, 25)],
      { start: hour(0), end: hour(48) },
    );
    expect(figures.deploymentCount).toBe(3);
    expect(figures.deploymentsPerDay).toBe(1.5);
  });

  it('take the median lead time from change to success', () => {
    const figures = doraFigures([execution('a', 'Succeeded', 1, 2, 0), execution('b', 'Succeeded', 3, 7, 3), execution('c', 'Succeeded', 4, 6, 1)], DAY);
    expect(figures.leadTimeForChangesSeconds).toBe(4 * 3600);
    const even = doraFigures([execution('a', 'Succeeded', 1, 2, 1), execution('b', 'Succeeded', 3, 6, 3)], DAY);
    expect(even.leadTimeForChangesSeconds).toBe(2 * 3600);
  });

  it('rate failures among succeeded and failed executions, leaving stopped and superseded out', () => {
    const figures = doraFigures(
      [execution('a', 'Succeeded', 1, 2), execution('b', 'Failed', 3, 4), execution('c', 'Stopped', 5, 6), execution('d', 'Superseded', 5, 6), execution('e', 'Succeeded', 7, 8), execution('f', 'Failed', 9, 10)],
      DAY,
    );
    expect(figures.changeFailureRate).toBe(0.5);
    expect(figures.failedCount).toBe(2);
  });

  it('measure restoring from the first failure of a run of failures to the next success', () => {
    const figures = doraFigures(
      [
        execution('ok', 'Succeeded', 0, 1),
        execution('f1', 'Failed', 1, 2),
        execution('f2', 'Failed', 2, 3),
        execution('back', 'Succeeded', 3, 5),
        execution('f3', 'Failed', 5, 6),
        execution('back2', 'Succeeded', 6, 7),
      ],
      DAY,
    );
    expect(figures.restoredCount).toBe(2);
    expect(figures.timeToRestoreSeconds).toBe(2 * 3600);
    expect(figures.unrestored).toBe(false);
  });

  it('count a failure that began before the window when the success is in it, and report one still open', () => {
    const figures = doraFigures([execution('f0', 'Failed', -5, -4), execution('back', 'Succeeded', 1, 2), execution('f1', 'Failed', 3, 4), execution('next', 'Succeeded', 30, 31)], DAY);
    expect(figures.restoredCount).toBe(1);
    expect(figures.timeToRestoreSeconds).toBe(6 * 3600);
    expect(figures.unrestored).toBe(true);
  });
});
