import { randomUUID } from 'node:crypto';
import { createLogger, type Logger } from '@pipewright/telemetry';
import { testEnv, uniqueName } from '@pipewright/testing';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { CONTENT_TYPE_PROTOBUF, type CloudEvent } from '../src/cloudevents';
import { KafkaMessaging, type MessagingOptions } from '../src/kafka-messaging';

/** A real JSON logger whose lines the test can read back. */
export function collectingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  let written = '';
  const logger = createLogger('messaging-test', { level: 'debug', destination: { write: (chunk: string) => void (written += chunk) } });
  return { logger, lines: () => written.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export function newMessaging(options: Partial<MessagingOptions> = {}): KafkaMessaging {
  return new KafkaMessaging({
    clientId: uniqueName('client'),
    brokers: testEnv().kafkaBrokers,
    logger: createLogger('messaging-test', { level: 'silent' }),
    ...options,
  });
}

export function sampleEvent(subject: string, payload: string): CloudEvent {
  return {
    id: randomUUID(),
    type: 'pipewright.test.v1.Sample',
    source: '/pipewright/messaging-test',
    time: new Date(),
    subject,
    datacontenttype: CONTENT_TYPE_PROTOBUF,
    data: Buffer.from(payload),
  };
}

/** Polls until the condition holds; the message says what never happened. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function admin() {
  return new Kafka({ clientId: 'messaging-test-admin', brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
}

/** Reads the first `count` messages of a topic with a plain kafkajs consumer (no Pipewright code). */
export async function readTopic(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = new Kafka({ clientId: 'messaging-test-reader', brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 200,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await eventually(() => messages.length >= count, `${count} message(s) on ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** Sends raw bytes and headers, as a foreign producer would. */
export async function produceRaw(topic: string, messages: Array<{ key: string; value: string; headers?: Record<string, string> }>): Promise<void> {
  const producer = new Kafka({ clientId: 'messaging-test-raw', brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const client = admin();
  await client.connect();
  try {
    const [result] = await client.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(result.partitions.map(({ partition, offset }) => [partition, offset]));
  } finally {
    await client.disconnect();
  }
}
