import { afterAttempt } from './delivery';

const policy = { maxAttempts: 5, backoffBaseMs: 1000, backoffMaxMs: 10_000 };
const now = new Date('2026-01-01T00:00:00.000Z');
const delayOf = (attempt: number, random: number) => afterAttempt({ succeeded: false }, attempt, policy, now, random).nextAttemptAt!.getTime() - now.getTime();

describe('afterAttempt', () => {
  it('is Delivered after a success, whatever the attempt', () => {
    expect(afterAttempt({ succeeded: true }, 5, policy, now, 0.5)).toEqual({ status: 'Delivered', nextAttemptAt: null });
  });

  it('retries with a backoff that doubles, jittered between half and all of it', () => {
    expect([1, 2, 3].map((a) => delayOf(a, 0))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((a) => delayOf(a, 0.999999))).toEqual([1000, 2000, 4000]);
    expect(afterAttempt({ succeeded: false }, 1, policy, now, 0.3).status).toBe('Retrying');
  });

  it('never waits longer than the maximum', () => {
    const long = (attempt: number) => afterAttempt({ succeeded: false }, attempt, { ...policy, maxAttempts: 100 }, now, 0.999999).nextAttemptAt!.getTime() - now.getTime();
    expect(long(4)).toBe(8000);
    expect(long(5)).toBe(10_000);
    expect(long(60)).toBe(10_000);
  });

  it('dead-letters once the attempts are used up', () => {
    expect(afterAttempt({ succeeded: false }, 5, policy, now, 0.5)).toEqual({ status: 'DeadLettered', nextAttemptAt: null });
    expect(afterAttempt({ succeeded: false }, 6, policy, now, 0.5)).toEqual({ status: 'DeadLettered', nextAttemptAt: null });
  });
});
