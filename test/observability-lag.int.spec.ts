/**
 * What the infrastructure gauges read, against the real broker and database: the outbox backlog
 * (OutboxRelay.lag), a consumer group's lag per partition (consumerLag), and the projection hooks
 * that let the orchestrator count an event only once its batch committed.
 */
import { randomUUID } from 'node:crypto';
import { openEventStore, OutboxRelay, ProjectionRunner, type EventStore, type OutboxMessage, type Projection } from '@pipewright/event-store';
import { consumerLag } from '@pipewright/messaging';
import { eventually, testEnv, uniqueName } from '@pipewright/testing';
import { Kafka, logLevel } from 'kafkajs';

jest.setTimeout(120_000);

describe('given an event store with an outbox', () => {
  const schema = uniqueName('obs_lag');
  let store: EventStore;

  beforeAll(async () => {
    store = await openEventStore({ url: testEnv().databaseUrl, schema });
  });
  afterAll(async () => {
    await store.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store.close();
  });

  it('when messages wait, the relay reports how many and how old; once published, none', async () => {
    const published: OutboxMessage[] = [];
    const relay = new OutboxRelay(store, { publish: async (batch) => void published.push(...batch) }, { name: 'lag-spec', pollIntervalMs: 50 });
    expect(await relay.lag()).toEqual({ pending: 0, oldestAgeSeconds: 0 });

    await store.transaction((tx) => tx.enqueueOutbox([1, 2, 3].map((n) => ({ topic: 't', key: 'k', value: `m${n}` }))));
    await store.query(`UPDATE "${schema}".outbox SET enqueued_at = now() - interval '90 seconds'`);
    const waiting = await relay.lag();
    expect(waiting.pending).toBe(3);
    expect(waiting.oldestAgeSeconds).toBeGreaterThanOrEqual(90);

    relay.start();
    try {
      await eventually('the outbox published', () => (published.length === 3 ? true : undefined));
      await eventually('no backlog', async () => ((await relay.lag()).pending === 0 ? true : undefined));
      expect((await relay.lag()).oldestAgeSeconds).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('when a batch commits the projection hears committed(); when it rolls back, rolledBack() and the batch comes again', async () => {
    const calls: string[] = [];
    let failOnce = true;
    const projection: Projection = {
      name: 'hooks-spec',
      reset: async () => undefined,
      apply: async (event) => {
        calls.push(`apply ${event.type}`);
        if (failOnce) {
          failOnce = false;
          throw new Error('first try fails');
        }
      },
      committed: () => calls.push('committed'),
      rolledBack: () => calls.push('rolledBack'),
    };
    await store.append(`execution-${randomUUID()}`, 'no_stream', [{ type: 'PipelineExecutionStarted', data: {} }]);
    const runner = new ProjectionRunner(store);
    await expect(runner.catchUp(projection)).rejects.toThrow('first try fails');
    expect(await runner.catchUp(projection)).toBe(1);
    expect(calls).toEqual(['apply PipelineExecutionStarted', 'rolledBack', 'apply PipelineExecutionStarted', 'committed']);
  });
});

describe('given a topic and a consumer group', () => {
  const kafka = new Kafka({ brokers: testEnv().kafkaBrokers, clientId: 'lag-spec', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const topic = uniqueName('pipewright.lag-spec');
  const group = uniqueName('lag-spec-group');

  beforeAll(async () => {
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('when it has committed nothing, lags by every message; after committing, by what is left, per partition', async () => {
    await producer.send({ topic, messages: [0, 1, 2, 3, 4].map((n) => ({ value: `m${n}`, partition: 0 })) });
    await producer.send({ topic, messages: [{ value: 'other', partition: 1 }] });
    const lags = () => consumerLag(admin, new Map([[group, [topic]]]));
    expect((await lags()).sort((a, b) => a.partition - b.partition)).toEqual([
      { group, topic, partition: 0, lag: 5 },
      { group, topic, partition: 1, lag: 1 },
    ]);

    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '1' }] });
    expect((await lags()).sort((a, b) => a.partition - b.partition)).toEqual([
      { group, topic, partition: 0, lag: 3 },
      { group, topic, partition: 1, lag: 0 },
    ]);
  });
});
