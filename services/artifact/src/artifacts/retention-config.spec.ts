import { artifactRetentionConfig } from './retention-config';

describe('artifactRetentionConfig', () => {
  it('is off by default: no limits and no pass', () => {
    expect(artifactRetentionConfig({})).toEqual({ maxAgeMillis: undefined, keepExecutions: undefined, intervalMillis: undefined, graceMillis: 3600_000 });
  });

  it('turns an hourly pass on when a limit is set, and reads fractional days', () => {
    expect(artifactRetentionConfig({ PIPEWRIGHT_ARTIFACT_RETENTION_DAYS: '0.5' })).toMatchObject({ maxAgeMillis: 12 * 3600_000, intervalMillis: 3600_000 });
    expect(artifactRetentionConfig({ PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS: '3' })).toMatchObject({ keepExecutions: 3, intervalMillis: 3600_000 });
  });

  it('reads the interval and the grace period; the interval alone collects blobs without limits', () => {
    expect(artifactRetentionConfig({ PIPEWRIGHT_ARTIFACT_GC_INTERVAL_MS: '500', PIPEWRIGHT_ARTIFACT_GC_GRACE_MS: '0' })).toEqual({
      maxAgeMillis: undefined,
      keepExecutions: undefined,
      intervalMillis: 500,
      graceMillis: 0,
    });
  });

  it.each([
    ['a retention of zero days', { PIPEWRIGHT_ARTIFACT_RETENTION_DAYS: '0' }, /PIPEWRIGHT_ARTIFACT_RETENTION_DAYS/],
    ['a retention that is not a number', { PIPEWRIGHT_ARTIFACT_RETENTION_DAYS: '30d' }, /PIPEWRIGHT_ARTIFACT_RETENTION_DAYS/],
    ['keeping zero executions', { PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS: '0' }, /PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS/],
    ['a fractional execution count', { PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS: '1.5' }, /PIPEWRIGHT_ARTIFACT_KEEP_EXECUTIONS/],
    ['an interval of zero', { PIPEWRIGHT_ARTIFACT_GC_INTERVAL_MS: '0' }, /PIPEWRIGHT_ARTIFACT_GC_INTERVAL_MS/],
    ['a negative grace period', { PIPEWRIGHT_ARTIFACT_GC_GRACE_MS: '-1' }, /PIPEWRIGHT_ARTIFACT_GC_GRACE_MS/],
  ])('refuses %s at start', (_label, env, message) => {
    expect(() => artifactRetentionConfig(env)).toThrow(message);
  });
});
