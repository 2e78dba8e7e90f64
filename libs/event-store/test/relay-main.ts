/**
 * The outbox relay as a process of its own, for the crash test:
 *   DATABASE_URL, KAFKA_BROKERS, EVENT_STORE_SCHEMA, RELAY_BATCH_SIZE, RELAY_PUBLISH_DELAY_MS (slows each batch).
 * Prints "relay started" once relaying; SIGTERM stops it gracefully.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaOutboxPublisher, openEventStore, OutboxRelay, type OutboxMessage } from '../src';

async function main(): Promise<void> {
  const env = (name: string) => process.env[name] ?? fail(`${name} is not set`);
  const store = await openEventStore({ url: env('DATABASE_URL'), schema: env('EVENT_STORE_SCHEMA'), poolSize: 2 });
  const kafka = new Kafka({ clientId: 'relay-main', brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
  const kafkaPublisher = new KafkaOutboxPublisher(kafka);
  await kafkaPublisher.connect();
  const delayMs = Number(process.env.RELAY_PUBLISH_DELAY_MS ?? 0);
  const publisher = {
    async publish(batch: OutboxMessage[]) {
      await kafkaPublisher.publish(batch);
      if (delayMs) await sleep(delayMs);
    },
  };
  const relay = new OutboxRelay(store, publisher, { batchSize: Number(process.env.RELAY_BATCH_SIZE ?? 500), pollIntervalMs: 200 });
  relay.start();
  process.stdout.write('relay started\n');
  process.once('SIGTERM', async () => {
    await relay.stop();
    await kafkaPublisher.disconnect();
    await store.close();
    process.exit(0);
  });
}

function fail(message: string): never {
  throw new Error(message);
}

main().catch((error) => {
  process.stderr.write(`relay failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
