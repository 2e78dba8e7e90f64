import type { Admin } from 'kafkajs';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** Messages after the group's committed offset: the partition's end offset minus it. */
  lag: number;
}

/**
 * The lag of each group on each partition of its topics, from the broker: end offsets
 * (fetchTopicOffsets) against committed offsets (fetchOffsets). A partition the group never
 * committed on counts from its earliest retained offset.
 */
export async function consumerLag(admin: Admin, groups: ReadonlyMap<string, readonly string[]>): Promise<PartitionLag[]> {
  const topics = [...new Set([...groups.values()].flat())];
  const ends = new Map<string, Map<number, { low: number; high: number }>>();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends.set(topic, new Map(offsets.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }])));
  }
  const lags: PartitionLag[] = [];
  for (const [group, groupTopics] of groups) {
    const committed = await admin.fetchOffsets({ groupId: group, topics: [...groupTopics] });
    for (const { topic, partitions } of committed) {
      for (const { partition, offset } of partitions) {
        const end = ends.get(topic)?.get(partition);
        if (!end) continue;
        const from = Number(offset) < 0 ? end.low : Number(offset);
        lags.push({ group, topic, partition, lag: Math.max(0, end.high - from) });
      }
    }
  }
  return lags;
}
