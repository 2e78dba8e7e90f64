import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { uniqueName } from '@pipewright/testing';
import { eventually, lifecycle, listAll, NotificationProcess, Orchestrator, Receiver, watchEvents } from './support';

jest.setTimeout(120_000);

const SELECTED = ['codepipeline-pipeline-pipeline-execution-started', 'codepipeline-pipeline-stage-execution-succeeded', 'codepipeline-pipeline-pipeline-execution-succeeded'];

describe('NotificationService across a crash, and WatchEvents resuming (a real notification process, Kafka, PostgreSQL)', () => {
  let service: NotificationProcess;
  let orchestrator: Orchestrator;
  let hook: Receiver;

  beforeAll(async () => {
    hook = await Receiver.start();
    service = await NotificationProcess.start();
    orchestrator = await Orchestrator.connect();
  }, 120_000);

  afterAll(async () => {
    await orchestrator?.disconnect();
    const exit = await service?.stop();
    await hook?.close();
    await service?.dropSchema();
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('killed (SIGKILL) mid-delivery and restarted, it delivers everything pending, answered once per delivery id', async () => {
    const pipeline = uniqueName('crash');
    hook.behaviour = () => 'hang';
    const ruleName = uniqueName('rule');
    await service.client.call('CreateNotificationRule', { rule: { name: ruleName, pipelines: [pipeline], eventTypeIds: SELECTED, targets: [{ type: 'webhook', address: hook.url, secretRef: 'hook-key' }] } });
    await orchestrator.publish(lifecycle(pipeline));
    await eventually(() => (hook.requests.length >= 1 ? true : undefined), 'a delivery in flight');
    const rulesBefore = await service.client.call('ListNotificationRules', { maxResults: 1000 });
    const killed = await service.proc.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    // The rules table is a read model of the log: lose it, and the restart rebuilds it equal.
    await service.sql(`DELETE FROM $schema.notification_rules`);

    // Published while the service is down: consumed after the restart.
    await orchestrator.publish(lifecycle(pipeline));
    hook.behaviour = () => 'ok';
    await service.launch();
    expect(await service.client.call('ListNotificationRules', { maxResults: 1000 })).toEqual(rulesBefore);
    const deliveries = await eventually(async () => {
      const all = await listAll(service.client, { ruleName });
      return all.length === 6 && all.every((d) => d.status === 'Delivered') ? all : undefined;
    }, 'six delivered deliveries', 90_000);

    const answered = hook.requests.filter((r) => r.answered === 200).map((r) => String(r.headers['x-pipewright-delivery']));
    expect(answered.sort()).toEqual(deliveries.map((d) => d.deliveryId).sort());
    // Every attempt of one delivery carried the same delivery id and the same body: receivers can dedupe.
    const bodies = new Map<string, Set<string>>();
    for (const r of hook.requests) {
      const id = String(r.headers['x-pipewright-delivery']);
      bodies.set(id, (bodies.get(id) ?? new Set()).add(r.body));
    }
    expect([...bodies.keys()].sort()).toEqual(deliveries.map((d) => d.deliveryId).sort());
    for (const set of bodies.values()) expect(set.size).toBe(1);
  });

  it('WatchEvents: a client that disconnects and resumes from its last position sees every event exactly once, in order', async () => {
    const pipeline = uniqueName('watched');
    const [a, b] = [randomUUID(), randomUUID()];
    const batch1 = await orchestrator.publish(lifecycle(pipeline, a).slice(0, 3));
    const first = watchEvents(service.client, { pipelineName: pipeline, afterPosition: '0' });
    await eventually(() => (first.events.length >= 3 ? true : undefined), 'the first three events');
    first.cancel();
    await first.ended;
    const seen = [...first.events];

    // While the client is away: the rest of execution a, and all of execution b.
    const batch2 = await orchestrator.publish([...lifecycle(pipeline, a).slice(3), ...lifecycle(pipeline, b)]);
    const second = watchEvents(service.client, { pipelineName: pipeline, afterPosition: seen[seen.length - 1].position });
    await eventually(() => (second.events.length >= 9 ? true : undefined), 'the backlog');
    // Then live.
    const batch3 = await orchestrator.publish(lifecycle(pipeline, randomUUID()).slice(0, 2));
    await eventually(() => (second.events.length >= 11 ? true : undefined), 'the live events');
    second.cancel();
    await second.ended;

    const all = [...seen, ...second.events];
    expect(all.map((e) => e.eventId)).toEqual([...batch1, ...batch2, ...batch3]);
    const positions = all.map((e) => BigInt(e.position));
    for (let i = 1; i < positions.length; i++) expect(positions[i] > positions[i - 1]).toBe(true);
    expect(all[0]).toMatchObject({
      eventType: 'pipewright.execution.v1.PipelineExecutionStateChange',
      eventTypeId: 'codepipeline-pipeline-pipeline-execution-started',
      pipelineExecutionStateChange: { pipeline, executionId: a, state: 'STARTED' },
    });
    expect(all[1]).toMatchObject({ eventTypeId: 'codepipeline-pipeline-stage-execution-started', stageExecutionStateChange: { stage: 'Source', state: 'STARTED' } });

    // Filtered by execution: only b's six events.
    const onlyB = watchEvents(service.client, { pipelineExecutionId: b, afterPosition: '0' });
    await eventually(() => (onlyB.events.length >= 6 ? true : undefined), "execution b's events");
    onlyB.cancel();
    await onlyB.ended;
    expect(onlyB.events.map((e) => e.eventId)).toEqual(batch2.slice(3));
  });

  it('WatchEvents without a position streams only events that arrive after it started', async () => {
    const pipeline = uniqueName('fresh');
    const old = await orchestrator.publish(lifecycle(pipeline).slice(0, 2));
    const backlog = watchEvents(service.client, { pipelineName: pipeline, afterPosition: '0' });
    await eventually(() => (backlog.events.length >= 2 ? true : undefined), 'the old events stored');
    backlog.cancel();
    const live = watchEvents(service.client, { pipelineName: pipeline });
    // The stream has no "ready" signal: keep publishing until it shows something.
    const fresh: string[] = [];
    await eventually(async () => {
      fresh.push(...(await orchestrator.publish([lifecycle(pipeline)[0]])));
      return live.events.length > 0 ? true : undefined;
    }, 'a live event');
    live.cancel();
    await live.ended;
    for (const e of live.events) {
      expect(old).not.toContain(e.eventId);
      expect(fresh).toContain(e.eventId);
    }
  });

  it('WatchEvents refuses a position it never issued', async () => {
    const call = watchEvents(service.client, { afterPosition: '-5' });
    await call.ended;
    expect(call.failure?.code).toBe(status.INVALID_ARGUMENT);
  });
});
