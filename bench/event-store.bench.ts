/**
 * Event store benchmark (not a test): append rates, outbox latency to a Kafka consumer, and the
 * floors under them measured in the same run. Run: node -r @pipewright/ts-register bench/event-store.bench.ts
 * Uses DATABASE_URL / KAFKA_BROKERS when set, else the local PostgreSQL and broker.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { KafkaOutboxPublisher, openEventStore, OutboxRelay, type EventStore } from '@pipewright/event-store';
import { benchEnv, benchKafka, benchName } from './lib/infra';
import { printTable, writeResults, type BenchRow } from './lib/report';
import { latencySummary, nowMs, rate } from './lib/stats';

const RATE_MS = Number(process.env.BENCH_RATE_MS ?? 15000);
const ROUNDS = 5;
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 500);
const event = (i: number) => ({ type: 'ActionExecutionSucceeded', data: { pipelineName: 'bench', stageName: 'Build', actionName: 'Compile', attempt: i } });

/** A consumer that hands each received message id to whoever waits for it. */
class Receiver {
  private readonly waiting = new Map<string, (atMs: number) => void>();
  constructor(readonly consumer: Consumer) {}
  expect(id: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }
  received(id: string): void {
    const at = nowMs();
    this.waiting.get(id)?.(at);
    this.waiting.delete(id);
  }
}

async function receiver(kafka: Kafka, topic: string): Promise<Receiver> {
  const consumer = kafka.consumer({ groupId: benchName('bench-es'), maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  const r = new Receiver(consumer);
  await consumer.run({ eachMessage: async ({ message }) => r.received(message.headers!.id!.toString()) });
  await joined;
  return r;
}

type Rate = Awaited<ReturnType<typeof rate>>;

/**
 * Commit rates on a shared machine drift from second to second, so the floors and the appends are
 * measured in interleaved rounds and each is reported as its median round.
 */
async function commitRates(databaseUrl: string, schema: string, store: EventStore) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const [{ fsync }] = (await client.query('SHOW fsync')).rows;
  const [{ synchronous_commit }] = (await client.query('SHOW synchronous_commit')).rows;
  await client.query(`CREATE TABLE "${schema}".plain (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, data jsonb NOT NULL)`);
  const insert = `INSERT INTO "${schema}".plain (data) VALUES ($1)`;
  const data = JSON.stringify(event(0).data);
  const stream = `execution-${randomUUID()}`;
  let version = 0;
  const batchStream = `execution-${randomUUID()}`;
  let batchVersion = 0;
  const batch = Array.from({ length: 100 }, (_, i) => event(i));
  const runs = { beginInsertCommit: [] as Rate[], autocommitInsert: [] as Rate[], singleAppend: [] as Rate[], batchedAppend: [] as Rate[] };
  const perRound = RATE_MS / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    runs.beginInsertCommit.push(
      await rate(perRound, async () => {
        await client.query('BEGIN');
        await client.query(insert, [data]);
        await client.query('COMMIT');
      }),
    );
    // The same commit in one round trip, as the store's own append sends it.
    runs.autocommitInsert.push(await rate(perRound, async () => void (await client.query(insert, [data]))));
    runs.singleAppend.push(
      await rate(perRound, async () => {
        version = (await store.append(stream, version === 0 ? 'no_stream' : version, [event(version)])).nextExpectedVersion;
      }),
    );
    runs.batchedAppend.push(
      await rate(perRound, async () => {
        batchVersion = (await store.append(batchStream, batchVersion === 0 ? 'no_stream' : batchVersion, batch)).nextExpectedVersion;
      }, 3),
    );
  }
  await client.end();
  const median = (rates: Rate[]) => [...rates].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(rates.length / 2)].perSecond;
  return {
    fsync,
    synchronous_commit,
    runs,
    beginInsertCommit: median(runs.beginInsertCommit),
    autocommitInsert: median(runs.autocommitInsert),
    singleAppend: median(runs.singleAppend),
    batchedAppends: median(runs.batchedAppend),
  };
}

async function kafkaFloor(kafka: Kafka, topic: string, r: Receiver): Promise<number[]> {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const samples: number[] = [];
  for (let i = -20; i < LATENCY_SAMPLES; i++) {
    const id = randomUUID();
    const arrived = r.expect(id);
    const sent = nowMs();
    await producer.send({ topic, acks: -1, messages: [{ key: 'floor', value: JSON.stringify(event(i).data), headers: { id } }] });
    const at = await arrived;
    if (i >= 0) samples.push(at - sent);
  }
  await producer.disconnect();
  return samples;
}

async function outboxLatency(store: EventStore, topic: string, r: Receiver): Promise<number[]> {
  const samples: number[] = [];
  const stream = `execution-${randomUUID()}`;
  let version = 0;
  for (let i = -20; i < LATENCY_SAMPLES; i++) {
    const id = randomUUID();
    const arrived = r.expect(id);
    await store.transaction(async (tx) => {
      version = (await tx.append(stream, version === 0 ? 'no_stream' : version, [{ ...event(i), id }])).nextExpectedVersion;
      await tx.enqueueOutbox([{ topic, key: stream, value: JSON.stringify(event(i).data), headers: { id, ce_id: id, ce_type: 'pipewright.execution.v1.ActionExecutionSucceeded' } }]);
    });
    const committed = nowMs();
    const at = await arrived;
    if (i >= 0) samples.push(Math.max(0, at - committed));
  }
  return samples;
}

async function main(): Promise<void> {
  const env = benchEnv();
  const schema = benchName('bench_es');
  const kafka = benchKafka('event-store-bench');
  const admin = kafka.admin();
  await admin.connect();
  const floorTopic = benchName('bench-es-floor');
  const outboxTopic = benchName('bench-es-outbox');
  await admin.createTopics({ topics: [floorTopic, outboxTopic].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })), waitForLeaders: true });

  const store = await openEventStore({ url: env.databaseUrl, schema });
  const publisher = new KafkaOutboxPublisher(kafka);
  await publisher.connect();
  const relay = new OutboxRelay(store, publisher);
  const receivers: Receiver[] = [];
  try {
    const commits = await commitRates(env.databaseUrl, schema, store);
    const floorReceiver = await receiver(kafka, floorTopic);
    receivers.push(floorReceiver);
    const kafkaRoundTrip = latencySummary(await kafkaFloor(kafka, floorTopic, floorReceiver));
    const outboxReceiver = await receiver(kafka, outboxTopic);
    receivers.push(outboxReceiver);
    relay.start();
    const outbox = latencySummary(await outboxLatency(store, outboxTopic, outboxReceiver));

    const durability = `fsync=${commits.fsync}, synchronous_commit=${commits.synchronous_commit}`;
    const rows: BenchRow[] = [
      { metric: 'single-writer append (1 event/transaction)', value: commits.singleAppend, unit: 'events/s', target: '>= 1000', met: commits.singleAppend >= 1000, note: durability },
      { metric: 'batched append (100 events/append)', value: commits.batchedAppends * 100, unit: 'events/s', note: `${commits.batchedAppends} appends/s` },
      { metric: 'outbox latency commit -> consumer p50', value: outbox.p50Ms, unit: 'ms', target: '<= 10', met: outbox.p50Ms <= 10, note: `${outbox.samples} samples, relay on LISTEN/NOTIFY` },
      { metric: 'outbox latency commit -> consumer p99', value: outbox.p99Ms, unit: 'ms', note: `max ${outbox.maxMs} ms` },
      { metric: 'floor: bare BEGIN; INSERT; COMMIT', value: commits.beginInsertCommit, unit: 'tx/s', note: durability },
      { metric: 'floor: bare INSERT (autocommit)', value: commits.autocommitInsert, unit: 'tx/s', note: 'one round trip per commit, like append' },
      { metric: 'floor: Kafka produce -> consume p50', value: kafkaRoundTrip.p50Ms, unit: 'ms', note: 'idempotent producer, acks=-1' },
      { metric: 'floor: Kafka produce -> consume p99', value: kafkaRoundTrip.p99Ms, unit: 'ms', note: `max ${kafkaRoundTrip.maxMs} ms` },
    ];
    printTable('event store', rows);
    const file = writeResults('event-store', {
      settings: { rateDurationMs: RATE_MS, rounds: ROUNDS, latencySamples: LATENCY_SAMPLES, fsync: commits.fsync, synchronousCommit: commits.synchronous_commit },
      rows,
      raw: { commitRounds: commits.runs, outbox, kafkaRoundTrip, loadAverage: loadavg() },
    });
    process.stdout.write(`\nwritten to ${file}\n`);
  } finally {
    await relay.stop();
    await Promise.all(receivers.map((r) => r.consumer.disconnect()));
    await publisher.disconnect();
    await store.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store.close();
    await admin.deleteTopics({ topics: [floorTopic, outboxTopic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
