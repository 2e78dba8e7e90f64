import { ExecutionState } from '@pipewright/execution-domain';
import { completeJobData, failJobData, reportedNonce } from '../src/jobs/job-results';

const NOW = '2026-01-02T03:04:05.000Z';
const running = { status: 'InProgress', jobs: { 'job-1': { stageName: 'Deploy', actionName: 'Write', attempt: 1, nonce: 'issued' } } } as unknown as ExecutionState;

describe('worker reports as execution commands (shared by JobService and the job-events topic)', () => {
  it('checks a report with the nonce it carries, so a stale one can be refused', () => {
    expect(reportedNonce(running, 'job-1', 'stale')).toBe('stale');
  });

  it('stands in the issued nonce for a report that carries none', () => {
    expect(reportedNonce(running, 'job-1', '')).toBe('issued');
    expect(reportedNonce(running, 'job-1', undefined)).toBe('issued');
    expect(reportedNonce({ status: 'NotStarted' } as ExecutionState, 'job-1', undefined)).toBe('');
  });

  it('maps a success report: artifacts with their location, variables, details; empty strings become absent', () => {
    const data = completeJobData(
      'job-1',
      'issued',
      {
        outputArtifacts: [{ name: 'Out', revision: '', files: [], location: { artifactId: 'a1', sha256: 'f'.repeat(64), sizeBytes: '42' } }],
        outputVariables: { File: '/tmp/x' },
        executionDetails: { summary: 'done', externalExecutionId: '' },
        currentRevision: { revision: '', changeIdentifier: '', created: undefined, revisionSummary: '' },
      },
      NOW,
    );
    expect(data).toEqual({
      jobId: 'job-1',
      nonce: 'issued',
      outputArtifacts: [{ name: 'Out', artifactId: 'a1', sha256: 'f'.repeat(64), sizeBytes: 42 }],
      outputVariables: { File: '/tmp/x' },
      summary: 'done',
      externalExecutionId: undefined,
      externalExecutionUrl: undefined,
      currentRevision: undefined,
      now: NOW,
    });
  });

  it("reads an unknown failure type as CodePipeline's JobFailed and an empty message as a generic one", () => {
    expect(failJobData('job-1', 'n', { type: 'Weird', message: '', externalExecutionId: '' }, NOW).failureDetails).toEqual({ type: 'JobFailed', message: 'the job failed', externalExecutionId: undefined });
    expect(failJobData('job-1', 'n', { type: 'ConfigurationError', message: 'no File', externalExecutionId: 'x' }, NOW).failureDetails).toEqual({ type: 'ConfigurationError', message: 'no File', externalExecutionId: 'x' });
  });
});
