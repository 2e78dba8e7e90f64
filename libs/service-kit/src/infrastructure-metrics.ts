import type { OutboxRelay } from '@pipewright/event-store';
import type { KafkaMessaging } from '@pipewright/messaging';
import { observeGauge } from '@pipewright/telemetry';

/**
 * Every service's infrastructure gauges, read at each scrape: its consumer groups' lag per
 * partition and its outbox's backlog. Returns how to stop observing them.
 */
export function observeInfrastructure(messaging: KafkaMessaging, relay: OutboxRelay, relayName: string): () => void {
  // Both outbox gauges come from one query per scrape.
  let read: { at: number; lag: ReturnType<OutboxRelay['lag']> } | undefined;
  const outboxLag = () => {
    if (!read || Date.now() - read.at > 1000) read = { at: Date.now(), lag: relay.lag() };
    return read.lag;
  };
  const stops = [
    observeGauge('consumerLag', async () =>
      (await messaging.consumerLag()).map(({ group, topic, partition, lag }) => ({ value: lag, labels: { group, topic, partition: String(partition) } })),
    ),
    observeGauge('outboxPending', async () => [{ value: (await outboxLag()).pending, labels: { relay: relayName } }]),
    observeGauge('outboxOldestAge', async () => [{ value: (await outboxLag()).oldestAgeSeconds, labels: { relay: relayName } }]),
  ];
  return () => stops.forEach((stop) => stop());
}
