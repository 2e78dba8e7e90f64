import { Timestamp } from './gen/google/protobuf/timestamp';

export { Timestamp };

/** google.protobuf.Timestamp as the generated code and Nest's loader use it (seconds as a string). */
export function timestampFromDate(date: Date): Timestamp {
  const millis = date.getTime();
  const seconds = Math.floor(millis / 1000);
  return { seconds: String(seconds), nanos: (millis - seconds * 1000) * 1_000_000 };
}

export function dateFromTimestamp(timestamp: Timestamp): Date {
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000));
}
