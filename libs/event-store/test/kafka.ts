import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { testEnv } from '@pipewright/testing';

export function testKafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

/** A consumer group reading `topic` from the beginning, handing each message to `handle`, partition order kept. */
export async function consume(kafka: Kafka, topic: string, groupId: string, handle: (message: KafkaMessage, partition: number) => Promise<void>): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ partitionsConsumedConcurrently: 4, eachMessage: ({ message, partition }) => handle(message, partition) });
  return consumer;
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** For each key, the order in which its values were first seen. */
export function firstOccurrences(received: Array<{ key: string; version: number }>): Map<string, number[]> {
  const seen = new Set<string>();
  const byKey = new Map<string, number[]>();
  for (const { key, version } of received) {
    const id = `${key}/${version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    byKey.set(key, [...(byKey.get(key) ?? []), version]);
  }
  return byKey;
}
