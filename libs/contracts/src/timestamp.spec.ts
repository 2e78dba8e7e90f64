import { dateFromTimestamp, timestampFromDate } from './index';

describe('Timestamp helpers', () => {
  it.each(['2025-01-02T03:04:05.678Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z'])(
    '%s converts to a Timestamp and back',
    (iso) => {
      const timestamp = timestampFromDate(new Date(iso));

      expect(timestamp.nanos).toBeGreaterThanOrEqual(0);
      expect(timestamp.nanos).toBeLessThan(1_000_000_000);
      expect(dateFromTimestamp(timestamp).toISOString()).toBe(iso);
    },
  );

  it('keeps seconds as a decimal string, as Nest receives int64', () => {
    expect(timestampFromDate(new Date('2025-01-02T03:04:05.678Z'))).toEqual({ seconds: '1735787045', nanos: 678_000_000 });
  });
});
