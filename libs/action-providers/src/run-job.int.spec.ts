import { builtInProviders, runJob } from './index';
import { makeJob, removeFixtures } from '../test/job-fixture';

afterAll(removeFixtures);

describe('runJob', () => {
  it('fails a job no built-in provider runs with a ConfigurationError', async () => {
    const outcome = await runJob(builtInProviders(), await makeJob('Deploy/Custom/Unknown'));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'ConfigurationError', message: expect.stringContaining('Deploy/Custom/Unknown/1') });
  });

  it('runs NoOp to success with empty output artifacts, or to failure when told to', async () => {
    const ok = await runJob(builtInProviders(), await makeJob('Build/Pipewright/NoOp', { configuration: { SleepMillis: '5' }, outputArtifacts: [{ name: 'Out' }] }));
    expect(ok).toMatchObject({ status: 'Succeeded', outputVariables: { SleptMillis: '5' } });
    const bad = await runJob(builtInProviders(), await makeJob('Test/Pipewright/NoOp', { configuration: { Fail: 'true' } }));
    expect(bad).toMatchObject({ status: 'Failed', type: 'JobFailed' });
  });

  it('times out a NoOp that sleeps past the job timeout', async () => {
    const outcome = await runJob(builtInProviders(), await makeJob('Build/Pipewright/NoOp', { configuration: { SleepMillis: '60000' }, timeoutMillis: 50 }));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'JobFailed', message: expect.stringContaining('timed out') });
  });

  it('refuses a SleepMillis that is not a number', async () => {
    const outcome = await runJob(builtInProviders(), await makeJob('Build/Pipewright/NoOp', { configuration: { SleepMillis: 'soon' } }));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'ConfigurationError', message: expect.stringContaining('SleepMillis') });
  });
});
