import { counter } from '@pipewright/telemetry';
import type { DeliveryStatus } from './delivery';

/**
 * One recorded attempt: a failed one counts as an attempt failure; a delivery that reached its
 * target counts as delivered, one given up (dead-lettered) as failed. Retrying deliveries count
 * once, when they end.
 */
export function countDeliveryAttempt(targetType: string, succeeded: boolean, next: DeliveryStatus): void {
  if (!succeeded) counter('notificationDeliveryAttemptFailures').add(1, { target_type: targetType });
  if (next === 'Delivered') counter('notificationDeliveries').add(1, { target_type: targetType, outcome: 'delivered' });
  else if (next === 'DeadLettered') counter('notificationDeliveries').add(1, { target_type: targetType, outcome: 'failed' });
}
