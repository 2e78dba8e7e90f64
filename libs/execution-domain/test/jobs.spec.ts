import { specification } from '@pipewright/decider';
import {
  actionExecutionIdFor,
  executionDecider,
  executionEvent,
  InvalidJobResult,
  JobAlreadyFinished,
  JobNonceMismatch,
  outputsOf,
  JobNotFound,
  StaleJobAttempt,
  type ExecutionCommand,
  type ExecutionEvent,
} from '../src';
import { artifact, at, build, complete, enter, EXECUTION_ID, fail, history, jobOf, pipeline, startCommand, stateOf, throughSource, types } from './support';

const spec = specification(executionDecider);
const single = pipeline([{ name: 'Build', actions: [build('Compile', 1, { outputArtifacts: [{ name: 'BuildArtifact' }] })] }]);
const inBuild = () => history([enter('Build', at(3))], throughSource(single));
const retrying = pipeline([{ name: 'Build', actions: [build('Compile', 1, { retryPolicy: { maxAttempts: 3, backoffSeconds: 10, backoffMultiplier: 2 } })] }]);
const fire = (payload: Extract<ExecutionCommand, { type: 'FireTimer' }>['data']['payload'], now: string): ExecutionCommand => ({
  type: 'FireTimer',
  data: { timerId: 'any', payload, now },
});

describe('job results', () => {
  it('refuses a result for a job the execution never issued', () => {
    spec.given(inBuild()).when({ type: 'FailJob', data: { jobId: 'nope', nonce: 'x', failureDetails: { type: 'JobFailed', message: 'm' }, now: at(4) } }).thenThrows(JobNotFound);
  });

  it('refuses a result with the wrong nonce', () => {
    const given = inBuild();
    const { jobId } = jobOf(given, 'Build', 'Compile');
    spec.given(given).when({ type: 'CompleteJob', data: { jobId, nonce: 'forged', outputArtifacts: [], now: at(4) } }).thenThrows(JobNonceMismatch);
  });

  it('refuses a success that does not report the declared output artifacts', () => {
    const given = inBuild();
    spec.given(given).when(complete(given, 'Build', 'Compile', at(4))).thenThrows(InvalidJobResult);
  });

  it('treats a duplicate of a recorded success as a no-op', () => {
    const given = inBuild();
    const done = complete(given, 'Build', 'Compile', at(4), { outputArtifacts: [{ name: 'BuildArtifact', artifactId: 'b', sha256: 'b'.repeat(64), sizeBytes: 1 }] });
    spec.given(history([done], given)).when(done).then([]);
  });

  it('treats a duplicate of a recorded failure as a no-op, even after a retry replaced the attempt', () => {
    const given = history([enter('Build', at(3))], throughSource(retrying));
    const failure = fail(given, 'Build', 'Compile', at(4));
    const retried = history([failure, fire({ kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 2 }, at(14))], given);
    spec.given(retried).when(failure).then([]);
  });

  it('refuses a result for an attempt a newer attempt replaced', () => {
    const given = history([enter('Build', at(3))], throughSource(retrying));
    const timedOut = history([fire({ kind: 'ActionTimeout', stageName: 'Build', actionName: 'Compile', attempt: 1 }, at(3 + 8 * 3600))], given);
    const retried = history([fire({ kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 2 }, at(4 + 8 * 3600 + 10))], timedOut);
    expect(jobOf(retried, 'Build', 'Compile').attempt).toBe(2);
    spec.given(retried).when(complete(given, 'Build', 'Compile', at(9 * 3600))).thenThrows(StaleJobAttempt);
  });

  it('records an acknowledgement once', () => {
    const given = inBuild();
    const { jobId, nonce } = jobOf(given, 'Build', 'Compile');
    const ack: ExecutionCommand = { type: 'AcknowledgeJob', data: { jobId, nonce, now: at(4) } };
    spec.given(given).when(ack).then([executionEvent('JobAcknowledged', { stageName: 'Build', actionName: 'Compile', jobId, at: at(4) })]);
    spec.given(history([ack], given)).when(ack).then([]);
  });
});

describe('per-action retry policy', () => {
  const given = () => history([enter('Build', at(3))], throughSource(retrying));

  it('schedules a retry after the backoff when an attempt fails', () => {
    const g = given();
    spec
      .given(g)
      .when(fail(g, 'Build', 'Compile', at(4)))
      .then([
        executionEvent('ActionExecutionFailed', {
          stageName: 'Build',
          actionName: 'Compile',
          attempt: 1,
          actionExecutionId: actionExecutionIdFor(EXECUTION_ID, 'Build', 'Compile', 1),
          runOrder: 1,
          errorDetails: { code: 'JobFailed', message: 'exit 1' },
          at: at(4),
        }),
        executionEvent('ActionRetryScheduled', { stageName: 'Build', actionName: 'Compile', attempt: 2, fireAt: at(14), at: at(4) }),
      ]);
  });

  it('dispatches a new attempt with a new job id when the backoff timer fires', () => {
    const failed = history([fail(given(), 'Build', 'Compile', at(4))], given());
    const events = history([fire({ kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 2 }, at(14))], failed);
    const retry = events.at(-1) as Extract<ExecutionEvent, { type: 'ActionExecutionStarted' }>;
    expect(retry.type).toBe('ActionExecutionStarted');
    expect(retry.data).toMatchObject({ attempt: 2, runAttempt: 2, jobId: actionExecutionIdFor(EXECUTION_ID, 'Build', 'Compile', 2) });
  });

  it('grows the backoff by the multiplier and fails the stage after maxAttempts', () => {
    let events = given();
    events = history([fail(events, 'Build', 'Compile', at(4)), fire({ kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 2 }, at(14))], events);
    const second = history([fail(events, 'Build', 'Compile', at(20))], events);
    expect(second.at(-1)).toEqual(executionEvent('ActionRetryScheduled', { stageName: 'Build', actionName: 'Compile', attempt: 3, fireAt: at(40), at: at(20) }));
    events = history([fire({ kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 3 }, at(40))], second);
    expect(types(history([fail(events, 'Build', 'Compile', at(50))], events).slice(events.length))).toEqual([
      'ActionExecutionFailed',
      'StageExecutionFailed',
      'PipelineExecutionFailed',
    ]);
  });
});

describe('timers', () => {
  it('fails an attempt whose timeout fires and tells the worker to stop', () => {
    const given = inBuild();
    const events = spec.given(given).when(fire({ kind: 'ActionTimeout', stageName: 'Build', actionName: 'Compile', attempt: 1 }, at(3 + 8 * 3600))).then(
      history([fire({ kind: 'ActionTimeout', stageName: 'Build', actionName: 'Compile', attempt: 1 }, at(3 + 8 * 3600))], given).slice(given.length),
    );
    expect(events[0]).toMatchObject({ type: 'ActionExecutionFailed', data: { errorDetails: { code: 'TimedOut' }, cancelJob: true } });
    expect(types(events)).toEqual(['ActionExecutionFailed', 'StageExecutionFailed', 'PipelineExecutionFailed']);
  });

  it('changes nothing when a timeout fires for an attempt that already ended', () => {
    const given = inBuild();
    const done = history([fail(given, 'Build', 'Compile', at(4))], given);
    spec.given(done).when(fire({ kind: 'ActionTimeout', stageName: 'Build', actionName: 'Compile', attempt: 1 }, at(3 + 8 * 3600))).then([]);
  });

  it('changes nothing when a timer fires before the deadline the state holds', () => {
    spec.given(inBuild()).when(fire({ kind: 'ActionTimeout', stageName: 'Build', actionName: 'Compile', attempt: 1 }, at(60))).then([]);
  });

  it('changes nothing when a retry timer fires for a retry that is no longer pending', () => {
    const given = history([enter('Build', at(3))], throughSource(retrying));
    const retried = history([fail(given, 'Build', 'Compile', at(4)), fire({ kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 2 }, at(14))], given);
    spec.given(retried).when(fire({ kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 2 }, at(15))).then([]);
  });

  it('fails a job whose worker stopped heartbeating, but not one whose heartbeat came later', () => {
    const given = inBuild();
    const { jobId, nonce } = jobOf(given, 'Build', 'Compile');
    const beating = history([{ type: 'RecordJobHeartbeat', data: { jobId, nonce, now: at(10) } }], given);
    spec.given(beating).when(fire({ kind: 'HeartbeatExpiry', jobId }, at(200))).then([]);
    const expired = history([fire({ kind: 'HeartbeatExpiry', jobId }, at(310))], beating).slice(beating.length);
    expect(expired[0]).toMatchObject({ type: 'ActionExecutionFailed', data: { errorDetails: { code: 'HeartbeatTimeout' } } });
  });

  it('takes the heartbeat timeout the execution was started with', () => {
    const started = history([startCommand(single, { heartbeatTimeoutSeconds: 5 }), enter('Source', at(1))]);
    const given = history([enter('Build', at(3))], history([complete(started, 'Source', 'Checkout', at(2), { outputArtifacts: [artifact('SourceArtifact')], outputVariables: {} })], started));
    const { jobId, nonce } = jobOf(given, 'Build', 'Compile');
    const beating = history([{ type: 'RecordJobHeartbeat', data: { jobId, nonce, now: at(10) } }], given);
    spec.given(beating).when(fire({ kind: 'HeartbeatExpiry', jobId }, at(14))).then([]);
    const expired = history([fire({ kind: 'HeartbeatExpiry', jobId }, at(15))], beating).slice(beating.length);
    expect(expired[0]).toMatchObject({ type: 'ActionExecutionFailed', data: { errorDetails: { code: 'HeartbeatTimeout' } } });
  });

  describe('continuation of a long job', () => {
    it('hands the same job out again with the token; the next worker acknowledges afresh and can then complete it', () => {
      const given = inBuild();
      const { jobId, nonce } = jobOf(given, 'Build', 'Compile');
      const acknowledged = history([{ type: 'AcknowledgeJob', data: { jobId, nonce, now: at(4) } }], given);
      spec
        .given(acknowledged)
        .when({ type: 'ContinueJob', data: { jobId, nonce, continuationToken: 'step-2', summary: 'half way', now: at(10) } })
        .then([executionEvent('JobContinued', { stageName: 'Build', actionName: 'Compile', jobId, continuationToken: 'step-2', summary: 'half way', at: at(10) })]);

      const continued = history([{ type: 'ContinueJob', data: { jobId, nonce, continuationToken: 'step-2', now: at(10) } }], acknowledged);
      const outputs = outputsOf(stateOf(acknowledged), continued.slice(acknowledged.length));
      const dispatched = outputs.find((o) => o.type === 'DispatchJob');
      expect(dispatched).toMatchObject({ job: { jobId, nonce, attempt: 1, continuationToken: 'step-2', actionName: 'Compile' } });
      expect(outputs).toContainEqual(expect.objectContaining({ type: 'ScheduleTimer', timerId: `heartbeat:${jobId}` }));

      spec.given(continued).when({ type: 'AcknowledgeJob', data: { jobId, nonce, now: at(11) } }).then([executionEvent('JobAcknowledged', { stageName: 'Build', actionName: 'Compile', jobId, at: at(11) })]);
      const done = history([complete(continued, 'Build', 'Compile', at(12), { outputArtifacts: [artifact('BuildArtifact')], outputVariables: {} })], continued);
      expect(types(done.slice(continued.length))).toContain('ActionExecutionSucceeded');
    });

    it('refuses a continuation with the wrong nonce, without a token, or after the job ended', () => {
      const given = inBuild();
      const { jobId, nonce } = jobOf(given, 'Build', 'Compile');
      spec.given(given).when({ type: 'ContinueJob', data: { jobId, nonce: 'forged', continuationToken: 't', now: at(5) } }).thenThrows(JobNonceMismatch);
      spec.given(given).when({ type: 'ContinueJob', data: { jobId, nonce, continuationToken: '', now: at(5) } }).thenThrows(InvalidJobResult);
      const failed = history([fail(given, 'Build', 'Compile', at(6))], given);
      spec.given(failed).when({ type: 'ContinueJob', data: { jobId, nonce, continuationToken: 't', now: at(7) } }).thenThrows(JobAlreadyFinished);
    });
  });
});
