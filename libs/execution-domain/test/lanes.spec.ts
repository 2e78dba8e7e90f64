import { fold, specification } from '@pipewright/decider';
import type { ExecutionMode } from '@pipewright/pipeline-model';
import { lanesCommand, lanesEvent, latestExecutionInStage, pipelineLanesDecider, TransitionReasonRequired, type LanesCommand, type LanesEvent } from '../src';
import { at } from './support';

const spec = specification(pipelineLanesDecider);
const request = (id: string, stageName: string, executionMode: ExecutionMode, startedAt: string, viaTransition = false, now = startedAt): LanesCommand =>
  lanesCommand('RequestStageEntry', { pipelineExecutionId: id, stageName, executionMode, viaTransition, startedAt, now });
const release = (id: string, stageName: string, now: string) => lanesCommand('ReleaseStage', { pipelineExecutionId: id, stageName, now });
const run = (commands: LanesCommand[], given: LanesEvent[] = []) => {
  const events = [...given];
  for (const c of commands) events.push(...([] as LanesEvent[]).concat(pipelineLanesDecider.decide(c, fold(pipelineLanesDecider, events))));
  return events;
};
const granted = (events: LanesEvent[]) => events.filter((e) => e.type === 'StageEntryGranted').map((e) => e.data.pipelineExecutionId);

describe('SUPERSEDED', () => {
  it('of three quick starts, the middle one is superseded and the newest goes next', () => {
    const given = run([request('e1', 'Source', 'SUPERSEDED', at(1)), request('e2', 'Source', 'SUPERSEDED', at(2))]);
    spec
      .given(given)
      .when(request('e3', 'Source', 'SUPERSEDED', at(3)))
      .then([
        lanesEvent('ExecutionSuperseded', { pipelineExecutionId: 'e2', stageName: 'Source', supersededBy: 'e3', at: at(3) }),
        lanesEvent('ExecutionWaitingForStage', { pipelineExecutionId: 'e3', stageName: 'Source', executionMode: 'SUPERSEDED', viaTransition: false, startedAt: at(3), at: at(3) }),
      ]);
    const after = run([request('e3', 'Source', 'SUPERSEDED', at(3)), release('e1', 'Source', at(4))], given);
    expect(granted(after)).toEqual(['e1', 'e3']);
  });

  it('supersedes a late request from an older execution instead of the newer one waiting', () => {
    const given = run([request('e1', 'Build', 'SUPERSEDED', at(1)), request('e3', 'Build', 'SUPERSEDED', at(3))]);
    spec.given(given).when(request('e2', 'Build', 'SUPERSEDED', at(2), false, at(5))).then([lanesEvent('ExecutionSuperseded', { pipelineExecutionId: 'e2', stageName: 'Build', supersededBy: 'e3', at: at(5) })]);
  });
});

describe('QUEUED', () => {
  it('lets executions into a stage one at a time, in start order', () => {
    let events = run([request('e1', 'Build', 'QUEUED', at(1)), request('e3', 'Build', 'QUEUED', at(3)), request('e2', 'Build', 'QUEUED', at(2), false, at(4))]);
    expect(granted(events)).toEqual(['e1']);
    events = run([release('e1', 'Build', at(5))], events);
    expect(granted(events)).toEqual(['e1', 'e2']);
    events = run([lanesCommand('ExecutionFinished', { pipelineExecutionId: 'e2', now: at(6) })], events);
    expect(granted(events)).toEqual(['e1', 'e2', 'e3']);
  });
});

describe('PARALLEL', () => {
  it('lets every execution in at once', () => {
    const events = run([request('e1', 'Build', 'PARALLEL', at(1)), request('e2', 'Build', 'PARALLEL', at(2)), request('e3', 'Build', 'PARALLEL', at(3))]);
    expect(granted(events)).toEqual(['e1', 'e2', 'e3']);
  });
});

describe('stage transitions', () => {
  const disable = lanesCommand('DisableStageTransition', { stageName: 'Deploy', reason: 'freeze', changedBy: 'ops', now: at(0) });
  const enable = lanesCommand('EnableStageTransition', { stageName: 'Deploy', changedBy: 'ops', now: at(10) });

  it('holds executions that finished the previous stage, and lets the newest go on enable (SUPERSEDED)', () => {
    const held = run([disable, request('e1', 'Deploy', 'SUPERSEDED', at(1), true), request('e2', 'Deploy', 'SUPERSEDED', at(2), true)]);
    expect(granted(held)).toEqual([]);
    spec
      .given(held)
      .when(enable)
      .then([
        lanesEvent('TransitionEnabled', { stageName: 'Deploy', changedBy: 'ops', at: at(10) }),
        lanesEvent('StageEntryGranted', { pipelineExecutionId: 'e2', stageName: 'Deploy', executionMode: 'SUPERSEDED', at: at(10) }),
      ]);
  });

  it('releases held QUEUED executions in order, one at a time', () => {
    const held = run([disable, request('e1', 'Deploy', 'QUEUED', at(1), true), request('e2', 'Deploy', 'QUEUED', at(2), true), enable]);
    expect(granted(held)).toEqual(['e1']);
  });

  it('does not hold a retry, which does not pass the transition', () => {
    expect(granted(run([disable, request('e1', 'Deploy', 'QUEUED', at(1), false)]))).toEqual(['e1']);
  });

  it('requires a reason to disable', () => {
    spec.given([]).when(lanesCommand('DisableStageTransition', { stageName: 'Deploy', reason: ' ', now: at(0) })).thenThrows(TransitionReasonRequired);
  });
});

describe('bookkeeping', () => {
  it('remembers the execution that entered a stage last', () => {
    const events = run([request('e1', 'Build', 'PARALLEL', at(1)), request('e2', 'Build', 'PARALLEL', at(2))]);
    expect(latestExecutionInStage(fold(pipelineLanesDecider, events), 'Build')).toBe('e2');
  });

  it('ignores a repeated request and a release from an execution not in the stage', () => {
    const given = run([request('e1', 'Build', 'QUEUED', at(1))]);
    spec.given(given).when(request('e1', 'Build', 'QUEUED', at(1))).then([]);
    spec.given(given).when(release('e9', 'Build', at(2))).then([]);
  });
});
