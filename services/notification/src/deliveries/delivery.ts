import { DomainError } from '@pipewright/decider';
import { StoredEvent } from '../events/event-log';
import { Target } from '../rules/rule';

export const DELIVERY_STATUSES = ['Pending', 'Delivered', 'Retrying', 'DeadLettered'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Delivery {
  deliveryId: string;
  seq: string;
  ruleName: string;
  target: Target;
  detailType: 'BASIC' | 'FULL';
  eventId: string;
  eventTypeId: string;
  pipeline: string;
  executionId: string;
  status: DeliveryStatus;
  attempts: number;
  created: Date;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  lastError: string;
  lastResponseCode: number;
}

/** A delivery the worker holds a lease on, with the event it carries; `attempts` is this attempt's number. */
export interface ClaimedDelivery extends Delivery {
  event: StoredEvent;
  /** W3C trace context the delivery was created in (the execution event's); absent for redeliveries. */
  trace?: Record<string, string>;
}

/** What one send did. */
export interface AttemptOutcome {
  succeeded: boolean;
  /** HTTP status, when the target answered over HTTP. */
  responseCode?: number;
  error?: string;
  latencyMs: number;
}

export class DeliveryNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}

/** Redelivery is for finished deliveries; one still pending or retrying goes out on its own. */
export class DeliveryNotFinished extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}

/**
 * Where a delivery goes after an attempt. Backoff doubles from baseMs per attempt up to maxMs,
 * with "equal jitter" (half fixed, half random) so retries of many deliveries spread out; `random`
 * in [0, 1) comes in as an argument to keep this pure.
 */
export function afterAttempt(
  outcome: Pick<AttemptOutcome, 'succeeded'>,
  attempt: number,
  policy: { maxAttempts: number; backoffBaseMs: number; backoffMaxMs: number },
  now: Date,
  random: number,
): { status: DeliveryStatus; nextAttemptAt: Date | null } {
  if (outcome.succeeded) return { status: 'Delivered', nextAttemptAt: null };
  if (attempt >= policy.maxAttempts) return { status: 'DeadLettered', nextAttemptAt: null };
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.min(attempt - 1, 30));
  const delay = Math.round(ceiling / 2 + (ceiling / 2) * random);
  return { status: 'Retrying', nextAttemptAt: new Date(now.getTime() + delay) };
}
