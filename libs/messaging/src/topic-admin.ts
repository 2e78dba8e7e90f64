import type { Admin } from 'kafkajs';
import type { MessagingLogger } from './logger';
import type { TopicSpec } from './topics';
import { isRetriable, retry } from './backoff';

/**
 * Creates missing topics with explicit partition counts (the broker does not auto-create).
 * Idempotent and safe when several services race to create the same topic. An existing topic
 * keeps its partitions: adding some would move keys to other partitions and break ordering.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], logger: MessagingLogger): Promise<void> {
  const wanted = new Map<string, number>();
  for (const spec of specs) {
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) throw new TypeError(`topic ${spec.name}: partitions must be a positive integer`);
    wanted.set(spec.name, Math.max(spec.partitions, wanted.get(spec.name) ?? 0));
  }
  if (wanted.size === 0) return;

  for (let attempt = 1; ; attempt++) {
    const existing = new Set(await admin.listTopics());
    const missing = [...wanted].filter(([name]) => !existing.has(name));
    if (missing.length === 0) break;
    try {
      await admin.createTopics({ topics: missing.map(([topic, numPartitions]) => ({ topic, numPartitions })), waitForLeaders: true });
      logger.info({ topics: missing.map(([name, partitions]) => `${name}:${partitions}`) }, 'created Kafka topics');
      break;
    } catch (error) {
      // Another process created some of them meanwhile: list again and create the rest.
      if (attempt >= 3) throw error;
    }
  }

  // A topic another process has just created may have no leader yet: its metadata (and any consumer
  // subscribing to it) fails with a retriable error until the controller has elected one.
  const metadata = await untilLeadersKnown(() => admin.fetchTopicMetadata({ topics: [...wanted.keys()] }));
  for (const topic of metadata.topics) {
    const asked = wanted.get(topic.name) ?? 0;
    if (topic.partitions.length < asked) {
      logger.warn({ topic: topic.name, partitions: topic.partitions.length, asked }, `topic ${topic.name} has fewer partitions than configured; left as it is`);
    }
  }
}

/** Metadata read while a topic has no leader yet: worth reading again. */
class LeadersUnknown extends Error {}

async function untilLeadersKnown<T extends { topics: { partitions: { leader: number }[] }[] }>(read: () => Promise<T>, attempts = 12): Promise<T> {
  return retry(
    async (attempt) => {
      const metadata = await read();
      const known = metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      // After the last attempt the metadata is taken as it is: subscribing retries on its own.
      if (!known && attempt < attempts) throw new LeadersUnknown();
      return metadata;
    },
    { attempts, retryable: (error) => error instanceof LeadersUnknown || isRetriable(error) },
  );
}
