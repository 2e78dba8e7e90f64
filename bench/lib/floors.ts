/**
 * What the infrastructure alone does, measured in the same run as the figure it is read against:
 * a bare commit into a plain table, and a bare Kafka produce → consume round trip.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Kafka } from 'kafkajs';
import { positioned } from '@pipewright/messaging';
import { benchName } from './infra';
import { nowMs, rate } from './stats';

/** Fails loudly instead of hanging when the broker never answers (a benchmark has no test timeout). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Bare autocommit `INSERT` into a throwaway table of `schema`: one round trip and one fsync per commit. */
export async function insertCommitRate(databaseUrl: string, schema: string, durationMs: number): Promise<Awaited<ReturnType<typeof rate>>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS "${schema}".floor_plain (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, data jsonb NOT NULL)`);
    const data = JSON.stringify({ pipelineName: 'bench', stageName: 'Build', actionName: 'Compile', attempt: 1 });
    return await rate(durationMs, async () => void (await client.query(`INSERT INTO "${schema}".floor_plain (data) VALUES ($1)`, [data])));
  } finally {
    await client.end();
  }
}

/**
 * Produce → consume round trips on a throwaway topic (3 partitions), idempotent producer with
 * acks=-1 as the outbox publisher sends; after 20 warm-up messages. Returns milliseconds per message.
 */
export async function kafkaRoundTrips(kafka: Kafka, samples: number): Promise<number[]> {
  const topic = benchName('bench-floor');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  const waiting = new Map<string, (atMs: number) => void>();
  const consumer = kafka.consumer({ groupId: benchName('bench-floor'), maxWaitTimeInMs: 500 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await Promise.all([consumer.connect(), producer.connect()]);
    await consumer.subscribe({ topic, fromBeginning: false });
    // Joined and fetched once: the start offset (the end) is resolved before the first message goes out.
    const joined = positioned(consumer, 60_000).then((ok) => {
      if (!ok) throw new Error('the floor consumer did not join its group within 60 s');
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const id = message.headers!.id!.toString();
        waiting.get(id)?.(nowMs());
        waiting.delete(id);
      },
    });
    await within(joined, 60_000, 'the floor consumer joining its group');
    const out: number[] = [];
    for (let i = -20; i < samples; i++) {
      const id = randomUUID();
      const arrived = new Promise<number>((resolve) => waiting.set(id, resolve));
      const sent = nowMs();
      await producer.send({ topic, acks: -1, messages: [{ key: 'floor', value: JSON.stringify({ i }), headers: { id } }] });
      const at = await within(arrived, 10_000, `floor message ${i}`);
      if (i >= 0) out.push(at - sent);
    }
    return out;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}
