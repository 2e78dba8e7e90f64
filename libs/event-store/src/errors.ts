import { DomainError } from '@pipewright/decider';
import type { ExpectedVersion } from './types';

/** Optimistic-concurrency refusal: the stream is not at the version the decision was made on. */
export class StreamVersionConflict extends DomainError {
  readonly code = 'ABORTED' as const;
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
    reason?: string,
  ) {
    super(reason ?? `stream ${stream} is at version ${actual}, expected ${String(expected)}`, { stream, expected, actual });
  }
}

/** An event whose serialized data and metadata exceed the store's limit; nothing of its append is written. */
export class EventTooLarge extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(
    readonly stream: string,
    readonly eventType: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`event ${eventType} for stream ${stream} is ${sizeBytes} bytes, over the limit of ${limitBytes}`, { stream, type: eventType, sizeBytes, limitBytes });
  }
}

/** A stored event whose type the reading code does not know (written by a newer version, or a typo). */
export class UnknownEventType extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
  constructor(
    readonly position: number,
    readonly eventType: string,
  ) {
    super(`event at position ${position} has unknown type ${eventType}`, { position, type: eventType });
  }
}

/** PostgreSQL did not answer before the start deadline. Infrastructure, not domain: a plain Error. */
export class PostgresUnreachable extends Error {
  constructor(
    readonly address: string,
    readonly elapsedMs: number,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`PostgreSQL at ${address} is unreachable: gave up after ${(elapsedMs / 1000).toFixed(1)}s and ${attempts} attempts (last error: ${errorText(lastError)})`);
    this.name = 'PostgresUnreachable';
  }
}

export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length) return error.errors.map(errorText).join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

/** An event id already in the log: the same event appended twice. */
export class DuplicateEventId extends DomainError {
  readonly code = 'ALREADY_EXISTS' as const;
  constructor(readonly stream: string) {
    super(`an event appended to stream ${stream} has an id already in the log`, { stream });
  }
}

/**
 * PostgreSQL broke a lock cycle by aborting this transaction (SQLSTATE 40P01): nothing of it was
 * written, and deciding it again is safe. Stream locks are taken in one order, so this is rare.
 */
export function isDeadlock(error: unknown): boolean {
  const cause = (error as { driverError?: { code?: string } } | undefined)?.driverError ?? (error as { code?: string } | undefined);
  return cause?.code === '40P01';
}
