import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Consumer } from 'kafkajs';
import { testEnv, uniqueName } from '@pipewright/testing';
import { openEventStore, type EventStore } from '../src';
import { consume, createTopic, deleteTopic, firstOccurrences, testKafka, waitFor } from './kafka';

jest.setTimeout(180_000);

const schema = uniqueName('es_relay_crash');
const topic = uniqueName('es-relay-crash');
const kafka = testKafka('event-store-relay-crash-test');
const streams = Array.from({ length: 10 }, (_, i) => `execution-${i}-${randomUUID()}`);
const appendsPerStream = 300;

let store: EventStore;
let consumer: Consumer | undefined;
const relays: ChildProcess[] = [];

function startRelay(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', '@pipewright/ts-register', join(__dirname, 'relay-main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: {
      ...process.env,
      DATABASE_URL: testEnv().databaseUrl,
      KAFKA_BROKERS: testEnv().kafkaBrokers.join(','),
      EVENT_STORE_SCHEMA: schema,
      RELAY_BATCH_SIZE: '20',
      // Slow enough that the kill lands mid-stream.
      RELAY_PUBLISH_DELAY_MS: '15',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  relays.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited early with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('relay started') && resolve(child));
  });
}

beforeAll(async () => {
  store = await openEventStore({ url: testEnv().databaseUrl, schema, poolSize: 6 });
  await createTopic(kafka, topic, 3);
});

afterAll(async () => {
  for (const relay of relays) if (relay.exitCode === null && relay.signalCode === null) relay.kill('SIGKILL');
  await consumer?.disconnect();
  await store?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await store?.close();
  await deleteTopic(kafka, topic);
});

it('loses nothing when the relay process is killed mid-stream and restarted', async () => {
  // Four writers take turns over the streams; each append enqueues its message in the same transaction.
  await Promise.all(
    [0, 1, 2, 3].map(async (writer) => {
      for (let i = writer; i < streams.length * appendsPerStream; i += 4) {
        const stream = streams[i % streams.length];
        await store.transaction(async (tx) => {
          const { nextExpectedVersion } = await tx.append(stream, 'any', [{ type: 'StageExecutionSucceeded', data: { i } }]);
          await tx.enqueueOutbox([{ topic, key: stream, value: String(nextExpectedVersion), headers: { ce_type: 'pipewright.execution.v1.StageExecutionSucceeded' } }]);
        });
      }
    }),
  );
  const total = streams.length * appendsPerStream;

  const received: Array<{ key: string; version: number }> = [];
  consumer = await consume(kafka, topic, uniqueName('es-relay-crash'), async (message) => {
    received.push({ key: message.key!.toString(), version: Number(message.value!.toString()) });
  });

  const first = await startRelay();
  await waitFor('the first relay to publish some messages', () => received.length >= 300);
  first.removeAllListeners('exit');
  first.kill('SIGKILL');
  await once(first, 'exit');
  const seenBeforeKill = new Set(received.map((r) => `${r.key}/${r.version}`)).size;
  expect(seenBeforeKill).toBeLessThan(total);

  const second = await startRelay();
  await waitFor('every message after the restart', () => new Set(received.map((r) => `${r.key}/${r.version}`)).size === total);
  second.removeAllListeners('exit');
  second.kill('SIGTERM');
  const [code] = await once(second, 'exit');
  expect(code).toBe(0);

  const order = firstOccurrences(received);
  expect(order.size).toBe(streams.length);
  for (const [, versions] of order) expect(versions).toEqual(Array.from({ length: appendsPerStream }, (_, i) => i + 1));
  const [checkpoint] = await store.query(`SELECT relay, transaction_id::text, position FROM "${schema}".outbox_checkpoint`);
  // The relay's order is (transaction, position): the last row in it need not hold the highest
  // position, since a transaction that began earlier may enqueue its message later.
  const [last] = await store.query(`SELECT transaction_id::text, position FROM "${schema}".outbox ORDER BY transaction_id DESC, position DESC LIMIT 1`);
  expect(checkpoint).toEqual({ relay: 'default', ...last });
});
