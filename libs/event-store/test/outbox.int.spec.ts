import { randomUUID } from 'node:crypto';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { testEnv, uniqueName } from '@pipewright/testing';
import { KafkaOutboxPublisher, openEventStore, OutboxRelay, type EventStore } from '../src';
import { consume, createTopic, deleteTopic, firstOccurrences, testKafka, waitFor } from './kafka';

jest.setTimeout(180_000);

const schema = uniqueName('es_outbox');
const topic = uniqueName('es-outbox-events');
const kafka = testKafka('event-store-outbox-test');
const writers = 20;
const eventsPerWriter = 500;
const streams = Array.from({ length: 40 }, (_, i) => `execution-${i}-${randomUUID()}`);

let store: EventStore;
let publisher: KafkaOutboxPublisher;
let relay: OutboxRelay;
const consumers: Consumer[] = [];

beforeAll(async () => {
  store = await openEventStore({ url: testEnv().databaseUrl, schema, poolSize: 24 });
  await store.query(`CREATE TABLE "${schema}".handled (event_id text PRIMARY KEY, times int NOT NULL)`);
  await createTopic(kafka, topic, 6);
  publisher = new KafkaOutboxPublisher(kafka);
  await publisher.connect();
  relay = new OutboxRelay(store, publisher, { batchSize: 500 });
  relay.start();
});

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.disconnect()));
  await relay?.stop();
  await publisher?.disconnect();
  await store?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await store?.close();
  await deleteTopic(kafka, topic);
});

it('publishes every appended event once committed, in stream order, and the inbox lets each through exactly once', async () => {
  const received: Array<{ key: string; version: number }> = [];
  // Idempotent consumer: the inbox mark and the read-model write commit together.
  const handle = async (message: KafkaMessage) => {
    const eventId = message.headers!.ce_id!.toString();
    await store.transaction(async (tx) => {
      if (!(await tx.markProcessed('execution-tally', eventId))) return;
      await tx.query(
        `INSERT INTO "${schema}".handled (event_id, times) VALUES ($1, 1) ON CONFLICT (event_id) DO UPDATE SET times = handled.times + 1`,
        [eventId],
      );
    });
  };
  consumers.push(
    await consume(kafka, topic, uniqueName('es-outbox-a'), async (message) => {
      const { version } = JSON.parse(message.value!.toString());
      received.push({ key: message.key!.toString(), version });
      await handle(message);
    }),
  );

  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; i < eventsPerWriter; i++) {
        const stream = streams[(writer * 7 + i) % streams.length];
        const eventId = randomUUID();
        await store.transaction(async (tx) => {
          const { nextExpectedVersion } = await tx.append(stream, 'any', [{ id: eventId, type: 'ActionExecutionSucceeded', data: { writer, i } }]);
          await tx.enqueueOutbox([
            {
              topic,
              key: stream,
              value: JSON.stringify({ eventId, version: nextExpectedVersion }),
              headers: { ce_id: eventId, ce_type: 'pipewright.execution.v1.ActionExecutionSucceeded', ce_source: 'test', ce_subject: stream },
            },
          ]);
        });
      }
    }),
  );
  const total = writers * eventsPerWriter;
  const count = async () => (await store.query(`SELECT count(*)::int AS n FROM "${schema}".handled`))[0].n;
  await waitFor('every event handled', async () => (await count()) === total);

  // Redeliver everything: a second group replays the whole topic through the same handler, and a
  // third copy of some messages is produced again; the inbox turns each duplicate away.
  let replayed = 0;
  consumers.push(await consume(kafka, topic, uniqueName('es-outbox-b'), async (message) => void (await handle(message), replayed++)));
  const producer = kafka.producer();
  await producer.connect();
  const sample = (await store.query(`SELECT key, value, headers FROM "${schema}".outbox ORDER BY position LIMIT 200`)).map((row: any) => ({
    key: row.key,
    value: row.value,
    headers: row.headers,
  }));
  await producer.send({ topic, messages: sample });
  await producer.disconnect();
  await waitFor('the replay', () => replayed >= total + sample.length);

  expect(await count()).toBe(total);
  expect(await store.query(`SELECT event_id FROM "${schema}".handled WHERE times <> 1`)).toEqual([]);
  const [{ n: events }] = await store.query(`SELECT count(*)::int AS n FROM "${schema}".events`);
  expect(events).toBe(total);

  const order = firstOccurrences(received);
  expect(order.size).toBe(streams.length);
  for (const [, versions] of order) expect(versions).toEqual(versions.map((_, i) => i + 1));
  expect([...order.values()].reduce((n, v) => n + v.length, 0)).toBe(total);
});
