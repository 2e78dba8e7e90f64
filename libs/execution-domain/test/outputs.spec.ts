import { fold } from '@pipewright/decider';
import {
  executionCommandsFor,
  executionDecider,
  lanesEvent,
  outputsOf,
  pipelineExecutionView,
  type ExecutionCommand,
  type ExecutionEvent,
} from '../src';
import { artifact, at, build, complete, enter, EXECUTION_ID, history, jobOf, pipeline, startCommand, throughSource } from './support';

const declaration = pipeline([{ name: 'Build', actions: [build('Compile')] }, { name: 'Deploy', actions: [build('Ship')] }]);
const outputsFor = (given: ExecutionEvent[], command: ExecutionCommand) => {
  const before = fold(executionDecider, given);
  return outputsOf(before, ([] as ExecutionEvent[]).concat(executionDecider.decide(command, before)));
};

describe('outputs derived from events', () => {
  it('a start publishes STARTED and asks the lanes for the first stage', () => {
    const outputs = outputsFor([], startCommand(declaration));
    expect(outputs.map((o) => o.type)).toEqual(['PublishStateChange', 'SendToLanes']);
    expect(outputs[1]).toEqual({
      type: 'SendToLanes',
      pipelineName: 'app',
      command: { type: 'RequestStageEntry', data: { executionMode: 'SUPERSEDED', now: at(0), pipelineExecutionId: EXECUTION_ID, stageName: 'Source', startedAt: at(0), viaTransition: false } },
    });
  });

  it('a job request carries the declared output variables and output artifact globs', () => {
    const commands = pipeline([{ name: 'Build', actions: [build('Compile', 1, { outputVariables: ['VERSION'], outputArtifacts: [{ name: 'Dist', files: ['dist/**/*'] }] })] }]);
    const outputs = outputsFor(throughSource(commands), enter('Build', at(3)));
    expect(outputs.find((o) => o.type === 'DispatchJob')).toMatchObject({ job: { outputArtifactNames: ['Dist'], outputArtifactFiles: { Dist: ['dist/**/*'] }, outputVariableNames: ['VERSION'] } });
  });

  it('a dispatched action yields the job request and its timeout timer', () => {
    const outputs = outputsFor(throughSource(declaration), enter('Build', at(3)));
    const { jobId } = jobOf(history([enter('Build', at(3))], throughSource(declaration)), 'Build', 'Compile');
    expect(outputs.find((o) => o.type === 'DispatchJob')).toMatchObject({ job: { jobId, stageName: 'Build', actionName: 'Compile', inputArtifacts: [artifact('SourceArtifact')], timeoutAt: at(3 + 8 * 3600) } });
    expect(outputs.find((o) => o.type === 'ScheduleTimer')).toEqual({
      type: 'ScheduleTimer',
      pipelineExecutionId: EXECUTION_ID,
      timerId: `timeout:${jobId}`,
      fireAt: at(3 + 8 * 3600),
      payload: { kind: 'ActionTimeout', stageName: 'Build', actionName: 'Compile', attempt: 1 },
    });
  });

  it('leaving a stage releases it and requests the next one through its transition', () => {
    const inBuild = history([enter('Build', at(3))], throughSource(declaration));
    const lanes = outputsFor(inBuild, complete(inBuild, 'Build', 'Compile', at(4))).filter((o) => o.type === 'SendToLanes');
    expect(lanes.map((o) => o.type === 'SendToLanes' && [o.command.type, o.command.data])).toEqual([
      ['ReleaseStage', { now: at(4), pipelineExecutionId: EXECUTION_ID, stageName: 'Build' }],
      ['RequestStageEntry', { executionMode: 'SUPERSEDED', now: at(4), pipelineExecutionId: EXECUTION_ID, stageName: 'Deploy', startedAt: at(0), viaTransition: true }],
    ]);
  });

  it('abandoning cancels the running jobs and tells the lanes the execution finished', () => {
    const inBuild = history([enter('Build', at(3))], throughSource(declaration));
    const outputs = outputsFor(inBuild, { type: 'StopPipelineExecution', data: { abandon: true, reason: 'r', now: at(4) } });
    expect(outputs.filter((o) => o.type === 'CancelJob')).toEqual([{ type: 'CancelJob', pipelineExecutionId: EXECUTION_ID, jobId: jobOf(inBuild, 'Build', 'Compile').jobId, reason: 'r' }]);
    expect(outputs.at(-1)).toMatchObject({ type: 'SendToLanes', command: { type: 'ExecutionFinished' } });
  });
});

describe('react: lane events to execution commands', () => {
  it('turns a grant into EnterStage and a supersession into Supersede', () => {
    expect(executionCommandsFor(lanesEvent('StageEntryGranted', { pipelineExecutionId: 'e1', stageName: 'Build', executionMode: 'QUEUED', at: at(1) }))).toEqual([
      { pipelineExecutionId: 'e1', command: { type: 'EnterStage', data: { stageName: 'Build', now: at(1) } } },
    ]);
    expect(executionCommandsFor(lanesEvent('ExecutionSuperseded', { pipelineExecutionId: 'e2', stageName: 'Build', supersededBy: 'e3', at: at(2) }))).toEqual([
      { pipelineExecutionId: 'e2', command: { type: 'Supersede', data: { now: at(2), supersededBy: 'e3' } } },
    ]);
  });
});

describe('pipelineExecutionView', () => {
  it('shows statuses, summaries, revisions and variables as GetPipelineExecution and GetPipelineState do', () => {
    const started = history([startCommand(declaration), enter('Source', at(1))]);
    const events = history(
      [complete(started, 'Source', 'Checkout', at(2), { outputArtifacts: [artifact('SourceArtifact')], summary: 'fix bug', currentRevision: { revision: 'abc123', revisionSummary: 'fix bug' } })],
      started,
    );
    const view = pipelineExecutionView(fold(executionDecider, events))!;
    expect(view.pipelineExecution).toMatchObject({ pipelineExecutionId: EXECUTION_ID, status: 'InProgress', artifactRevisions: [{ name: 'SourceArtifact', revisionId: 'abc123', revisionSummary: 'fix bug' }] });
    expect(view.stageStates.map((s) => [s.stageName, s.latestExecution?.status, s.actionStates.map((a) => a.latestExecution?.status)])).toEqual([
      ['Source', 'Succeeded', ['Succeeded']],
      ['Build', undefined, [undefined]],
      ['Deploy', undefined, [undefined]],
    ]);
    expect(view.summary).toMatchObject({ startTime: at(0), lastUpdateTime: at(2) });
  });
});
