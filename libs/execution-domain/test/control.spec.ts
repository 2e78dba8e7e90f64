import { specification } from '@pipewright/decider';
import {
  actionExecutionIdFor,
  ApprovalAlreadyCompleted,
  approvalTokenFor,
  ApprovalTokenMismatch,
  DuplicatedStopRequest,
  ExecutionAlreadyFinished,
  executionDecider,
  executionEvent,
  NotLatestPipelineExecution,
  StageNotFailed,
  UnableToRollbackStage,
  type ExecutionCommand,
  type ExecutionEvent,
} from '../src';
import { approval, artifact, at, build, complete, enter, EXECUTION_ID, fail, history, pipeline, SEED, stateOf, throughSource, types } from './support';

const spec = specification(executionDecider);

describe('manual approval', () => {
  const declaration = pipeline([{ name: 'Approval', actions: [approval('Approve')] }, { name: 'Deploy', actions: [build('Ship')] }]);
  const waiting = () => history([enter('Approval', at(3))], throughSource(declaration));
  const id = actionExecutionIdFor(EXECUTION_ID, 'Approval', 'Approve', 1);
  const token = approvalTokenFor(SEED, id);
  const answer = (status: 'Approved' | 'Rejected', t = token, now = at(100)): ExecutionCommand => ({
    type: 'PutApprovalResult',
    data: { stageName: 'Approval', actionName: 'Approve', token: t, result: { status, summary: 'looks good' }, approvedBy: 'alice', now },
  });

  it('requests an approval with a token and a 7-day deadline, without a job', () => {
    expect(waiting().at(-1)).toEqual(
      executionEvent('ApprovalRequested', {
        stageName: 'Approval',
        actionName: 'Approve',
        attempt: 1,
        actionExecutionId: id,
        actionTypeId: approval().actionTypeId,
        runOrder: 1,
        configuration: { CustomData: `Ship ${EXECUTION_ID}?` },
        token,
        expiresAt: at(3 + 7 * 24 * 3600),
        at: at(3),
      }),
    );
  });

  it('succeeds the action with the summary when approved', () => {
    const events = spec.given(waiting()).when(answer('Approved')).then(history([answer('Approved')], waiting()).slice(waiting().length));
    expect(events[0]).toEqual(
      executionEvent('ActionExecutionSucceeded', { stageName: 'Approval', actionName: 'Approve', attempt: 1, outputArtifacts: [], outputVariables: {}, summary: 'looks good', updatedBy: 'alice', at: at(100) }),
    );
    expect(types(events)).toEqual(['ActionExecutionSucceeded', 'StageExecutionSucceeded', 'StageEntryRequested']);
  });

  it('fails the action, the stage and the execution when rejected', () => {
    const events = history([answer('Rejected')], waiting()).slice(waiting().length);
    expect(events[0]).toMatchObject({ type: 'ActionExecutionFailed', data: { errorDetails: { code: 'Rejected' }, summary: 'looks good', updatedBy: 'alice' } });
    expect(types(events)).toEqual(['ActionExecutionFailed', 'StageExecutionFailed', 'PipelineExecutionFailed']);
  });

  it('fails when the deadline passes', () => {
    const timer: ExecutionCommand = { type: 'FireTimer', data: { timerId: `timeout:${id}`, payload: { kind: 'ActionTimeout', stageName: 'Approval', actionName: 'Approve', attempt: 1 }, now: at(3 + 7 * 24 * 3600) } };
    const events = history([timer], waiting()).slice(waiting().length);
    expect(events[0]).toMatchObject({ type: 'ActionExecutionFailed', data: { errorDetails: { code: 'TimedOut' } } });
    expect(stateOf(history([timer], waiting())).status).toBe('Failed');
  });

  it('honours the action timeoutInMinutes as the deadline', () => {
    const short = pipeline([{ name: 'Approval', actions: [approval('Approve', { timeoutInMinutes: 60 })] }, { name: 'Deploy', actions: [build('Ship')] }]);
    const events = history([enter('Approval', at(3))], throughSource(short));
    expect(events.at(-1)).toMatchObject({ type: 'ApprovalRequested', data: { expiresAt: at(3 + 3600) } });
  });

  it('refuses a wrong token', () => {
    spec.given(waiting()).when(answer('Approved', 'not-the-token')).thenThrows(ApprovalTokenMismatch);
  });

  it('refuses a second answer', () => {
    spec.given(history([answer('Approved')], waiting())).when(answer('Rejected')).thenThrows(ApprovalAlreadyCompleted);
  });
});

describe('RetryStageExecution', () => {
  const declaration = pipeline([{ name: 'Build', actions: [build('Compile', 1), build('Lint', 1), build('Package', 2)] }]);
  const failed = () => {
    const inBuild = history([enter('Build', at(3))], throughSource(declaration));
    return history([fail(inBuild, 'Build', 'Compile', at(4)), complete(inBuild, 'Build', 'Lint', at(5))], inBuild);
  };
  const retry = (retryMode: 'FAILED_ACTIONS' | 'ALL_ACTIONS', latest = EXECUTION_ID): ExecutionCommand => ({
    type: 'RetryStageExecution',
    data: { stageName: 'Build', retryMode, latestExecutionIdOfStage: latest, now: at(10) },
  });

  it('asks to enter the failed stage again and puts the execution back in progress', () => {
    spec.given(failed()).when(retry('FAILED_ACTIONS')).then([executionEvent('StageEntryRequested', { stageName: 'Build', reason: 'Retry', retryMode: 'FAILED_ACTIONS', at: at(10) })]);
    expect(stateOf(history([retry('FAILED_ACTIONS')], failed())).status).toBe('InProgress');
  });

  it('FAILED_ACTIONS re-runs only the failed actions of the group, keeping what succeeded', () => {
    const events = history([retry('FAILED_ACTIONS'), enter('Build', at(11))], failed());
    const restarted = events.slice(failed().length).filter((e): e is Extract<ExecutionEvent, { type: 'ActionExecutionStarted' }> => e.type === 'ActionExecutionStarted');
    expect(restarted.map((e) => [e.data.actionName, e.data.attempt])).toEqual([['Compile', 2]]);
    expect(stateOf(events).stages['Build']?.actions['Lint']?.status).toBe('Succeeded');
  });

  it('ALL_ACTIONS re-runs the whole stage from its first group', () => {
    const events = history([retry('ALL_ACTIONS'), enter('Build', at(11))], failed());
    const restarted = events.slice(failed().length).filter((e): e is Extract<ExecutionEvent, { type: 'ActionExecutionStarted' }> => e.type === 'ActionExecutionStarted');
    expect(restarted.map((e) => [e.data.actionName, e.data.attempt])).toEqual([
      ['Compile', 2],
      ['Lint', 2],
    ]);
  });

  it('refuses to retry a stage that has not failed', () => {
    const inBuild = history([enter('Build', at(3))], throughSource(declaration));
    spec.given(inBuild).when(retry('FAILED_ACTIONS')).thenThrows(StageNotFailed);
    spec.given(failed()).when({ type: 'RetryStageExecution', data: { stageName: 'Source', retryMode: 'ALL_ACTIONS', latestExecutionIdOfStage: EXECUTION_ID, now: at(10) } }).thenThrows(StageNotFailed);
  });

  it('refuses to retry when a later execution has run the stage since', () => {
    spec.given(failed()).when(retry('FAILED_ACTIONS', 'exec-2')).thenThrows(NotLatestPipelineExecution);
  });
});

describe('StopPipelineExecution', () => {
  const declaration = pipeline([{ name: 'Build', actions: [build('Compile', 1), build('Lint', 1), build('Package', 2)] }]);
  const inBuild = () => history([enter('Build', at(3))], throughSource(declaration));
  const stop = (abandon: boolean, now = at(4)): ExecutionCommand => ({ type: 'StopPipelineExecution', data: { abandon, reason: 'hotfix', now } });

  it('stop-and-wait lets running actions finish, then stops without starting the next group', () => {
    const stopping = history([stop(false)], inBuild());
    expect(types(stopping.slice(inBuild().length))).toEqual(['PipelineExecutionStopping']);
    expect(stateOf(stopping).status).toBe('Stopping');
    const oneDone = history([complete(stopping, 'Build', 'Compile', at(5))], stopping);
    spec
      .given(oneDone)
      .when(complete(oneDone, 'Build', 'Lint', at(6)))
      .then([
        executionEvent('ActionExecutionSucceeded', { stageName: 'Build', actionName: 'Lint', attempt: 1, outputArtifacts: [], outputVariables: {}, at: at(6) }),
        executionEvent('StageExecutionStopped', { stageName: 'Build', at: at(6) }),
        executionEvent('PipelineExecutionStopped', { reason: 'hotfix', at: at(6) }),
      ]);
  });

  it('abandon marks running actions Abandoned and stops at once', () => {
    spec
      .given(inBuild())
      .when(stop(true))
      .then([
        executionEvent('PipelineExecutionStopping', { abandon: true, reason: 'hotfix', at: at(4) }),
        executionEvent('ActionExecutionAbandoned', { stageName: 'Build', actionName: 'Compile', attempt: 1, reason: 'hotfix', at: at(4) }),
        executionEvent('ActionExecutionAbandoned', { stageName: 'Build', actionName: 'Lint', attempt: 1, reason: 'hotfix', at: at(4) }),
        executionEvent('StageExecutionStopped', { stageName: 'Build', at: at(4) }),
        executionEvent('PipelineExecutionStopped', { reason: 'hotfix', at: at(4) }),
      ]);
  });

  it('abandon escalates a stop-and-wait in progress', () => {
    const events = history([stop(false), stop(true, at(5))], inBuild());
    expect(stateOf(events).status).toBe('Stopped');
  });

  it('refuses a second stop-and-wait', () => {
    spec.given(history([stop(false)], inBuild())).when(stop(false, at(5))).thenThrows(DuplicatedStopRequest);
  });

  it('stops at once an execution waiting to enter a stage', () => {
    expect(types(history([stop(false)], throughSource(declaration)).slice(throughSource(declaration).length))).toEqual(['PipelineExecutionStopping', 'PipelineExecutionStopped']);
  });

  it('refuses to stop a finished execution', () => {
    spec.given(history([stop(true)], inBuild())).when(stop(true, at(9))).thenThrows(ExecutionAlreadyFinished);
  });

  it('allows a stopped stage to be retried, re-running the abandoned actions', () => {
    const stopped = history([stop(true)], inBuild());
    const events = history([{ type: 'RetryStageExecution', data: { stageName: 'Build', retryMode: 'FAILED_ACTIONS', latestExecutionIdOfStage: EXECUTION_ID, now: at(9) } }, enter('Build', at(10))], stopped);
    expect(stateOf(events).stages['Build']?.actions['Compile']).toMatchObject({ status: 'InProgress', attempt: 2 });
  });
});

describe('Supersede', () => {
  const declaration = pipeline([{ name: 'Build', actions: [build('Compile')] }]);

  it('supersedes an execution waiting to enter a stage', () => {
    spec.given(throughSource(declaration)).when({ type: 'Supersede', data: { supersededBy: 'exec-3', now: at(5) } }).then([executionEvent('PipelineExecutionSuperseded', { supersededBy: 'exec-3', at: at(5) })]);
  });

  it('ignores a supersede notice for an execution running in a stage', () => {
    spec.given(history([enter('Build', at(3))], throughSource(declaration))).when({ type: 'Supersede', data: { supersededBy: 'exec-3', now: at(5) } }).then([]);
  });
});

describe('RollbackStage', () => {
  const declaration = pipeline([
    { name: 'Build', actions: [build('Compile', 1, { outputArtifacts: [{ name: 'BuildArtifact' }], namespace: 'BuildVariables' })] },
    { name: 'Deploy', actions: [build('Ship', 1, { inputArtifacts: [{ name: 'BuildArtifact' }], configuration: { Version: '#{BuildVariables.Version}' } })] },
  ]);
  const succeeded = () => {
    let events = history([enter('Build', at(3))], throughSource(declaration));
    events = history([complete(events, 'Build', 'Compile', at(4), { outputArtifacts: [artifact('BuildArtifact', 'b')], outputVariables: { Version: '1.0' } }), enter('Deploy', at(5))], events);
    return history([complete(events, 'Deploy', 'Ship', at(6))], events);
  };
  const rollback = (stageName = 'Deploy'): ExecutionCommand => ({
    type: 'RollbackStage',
    data: { pipelineExecutionId: 'exec-rollback', declaration, pipelineVersion: 1, stageName, target: stateOf(succeeded()), seed: 'seed-r', now: at(100) },
  });

  it('re-runs the stage with the artifacts and variables of the earlier successful execution', () => {
    const events = history([rollback(), enter('Deploy', at(101))]);
    const state = stateOf(events);
    expect(state.executionType).toBe('ROLLBACK');
    expect(state.trigger).toEqual({ triggerType: 'ManualRollback', triggerDetail: EXECUTION_ID });
    expect(state.stages['Deploy']?.actions['Ship']).toMatchObject({ inputArtifacts: [artifact('BuildArtifact', 'b')], configuration: { Version: '1.0' } });
    const finished = history([complete(events, 'Deploy', 'Ship', at(102))], events);
    expect(stateOf(finished).status).toBe('Succeeded');
    expect(Object.keys(stateOf(finished).stages)).toEqual(['Deploy']);
  });

  it('refuses a target in which the stage did not succeed', () => {
    const failedTarget = stateOf(history([enter('Build', at(3))], throughSource(declaration)));
    spec.given([]).when({ type: 'RollbackStage', data: { ...(rollback().data as Extract<ExecutionCommand, { type: 'RollbackStage' }>['data']), target: failedTarget } }).thenThrows(UnableToRollbackStage);
  });
});
