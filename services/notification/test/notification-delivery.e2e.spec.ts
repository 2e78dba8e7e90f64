import { createHmac } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { decodeCloudEvent } from '@pipewright/messaging';
import { checkHealth, problemsFromMetadata } from '@pipewright/service-kit';
import { testEnv, uniqueName } from '@pipewright/testing';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, lifecycle, listAll, MailServer, NotificationProcess, Orchestrator, Receiver, rejected } from './support';

jest.setTimeout(60_000);

const STARTED = 'codepipeline-pipeline-pipeline-execution-started';
const STAGE_SUCCEEDED = 'codepipeline-pipeline-stage-execution-succeeded';
const SUCCEEDED = 'codepipeline-pipeline-pipeline-execution-succeeded';

const verify = (secret: string, timestamp: string, body: string) => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
/** A mail as text: header lines unfolded, quoted-printable soft breaks and escapes undone. */
const readable = (raw: string) =>
  raw
    .replace(/\r\n[ \t]+/g, ' ')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

describe('NotificationService deliveries (a real notification process, Kafka, PostgreSQL, HTTP and SMTP receivers)', () => {
  let service: NotificationProcess;
  let orchestrator: Orchestrator;
  let mail: MailServer;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };
  const delivered = (ruleName: string, count: number) =>
    eventually(async () => {
      const all = await listAll(service.client, { ruleName });
      return all.length === count && all.every((d) => d.status === 'Delivered') ? all : undefined;
    }, `${count} delivered deliveries of rule ${ruleName}`);

  beforeAll(async () => {
    mail = await MailServer.start();
    service = await NotificationProcess.start({ PIPEWRIGHT_NOTIFICATION_SMTP_URL: mail.url, PIPEWRIGHT_NOTIFICATION_SMTP_FROM: 'pipewright@test.local' });
    orchestrator = await Orchestrator.connect();
  }, 120_000);

  afterAll(async () => {
    await orchestrator?.disconnect();
    const exit = await service?.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await mail?.close();
    await service?.dropSchema();
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('a lifecycle produces exactly the matching notifications on every kind of target, signed and deduplicable', async () => {
    const pipeline = uniqueName('lifecycle');
    const [hook, chat] = [await receiver(), await receiver()];
    const topic = uniqueName('notification-target');
    const kafka = new Kafka({ brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('notification-target-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const published: ReturnType<typeof decodeCloudEvent>[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void published.push(decodeCloudEvent(message)) });

    const ruleName = uniqueName('rule');
    const created = await service.client.call('CreateNotificationRule', {
      rule: {
        name: ruleName,
        pipelines: [pipeline],
        eventTypeIds: [STARTED, STAGE_SUCCEEDED, SUCCEEDED],
        targets: [
          { type: 'webhook', address: hook.url, secretRef: 'hook-key' },
          { type: 'chat', address: chat.url, secretRef: 'chat-token' },
          { type: 'email', address: 'team@example.com' },
          { type: 'kafka', address: topic },
        ],
      },
    });
    expect(created.rule).toMatchObject({ name: ruleName, status: 'ENABLED', detailType: 'FULL', pipelines: [pipeline] });
    // Rules that must not fire: another pipeline's, and a disabled one for this pipeline.
    await service.client.call('CreateNotificationRule', { rule: { name: uniqueName('other'), pipelines: [uniqueName('other')], eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: hook.url }] } });
    await service.client.call('CreateNotificationRule', { rule: { name: uniqueName('off'), pipelines: [pipeline], eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: `${hook.url}?off` }], status: 'DISABLED' } });

    const executionId = randomUUID();
    const events = lifecycle(pipeline, executionId);
    const ids = await orchestrator.publish(events);
    await orchestrator.publish(events, ids); // the same CloudEvents again, as a redelivering broker would
    // One more execution's start, behind the duplicates on the same partition: once it is delivered, they were consumed.
    const second = randomUUID();
    await orchestrator.publish([lifecycle(pipeline, second)[0]]);
    const deliveries = await delivered(ruleName, 16);

    const byExecution = (executionId: string) => deliveries.filter((d) => d.pipelineExecutionId === executionId);
    expect(byExecution(executionId).map((d) => d.eventTypeId).sort()).toEqual([...Array(4).fill(STARTED), ...Array(4).fill(STAGE_SUCCEEDED), ...Array(4).fill(SUCCEEDED)].sort());
    expect(byExecution(second).map((d) => d.eventTypeId)).toEqual(Array(4).fill(STARTED));
    expect(deliveries.every((d) => d.attempts === 1 && d.pipelineName === pipeline)).toBe(true);
    expect([...new Set(byExecution(executionId).map((d) => d.eventId))].sort()).toEqual([ids[0], ids[4], ids[5]].sort());

    // Webhook: signature over timestamp + body, delivery id and timestamp headers.
    await eventually(() => (hook.requests.length >= 4 ? true : undefined), 'four webhook requests');
    expect(hook.requests).toHaveLength(4);
    const hookDeliveries = deliveries.filter((d) => d.target.type === 'webhook').map((d) => d.deliveryId).sort();
    expect(hook.requests.map((r) => r.headers['x-pipewright-delivery']).sort()).toEqual(hookDeliveries);
    for (const request of hook.requests) {
      const timestamp = String(request.headers['x-pipewright-timestamp']);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(600);
      expect(request.headers['x-pipewright-signature']).toBe(verify('test-signing-secret', timestamp, request.body));
      const body = JSON.parse(request.body);
      expect(body).toMatchObject({ deliveryId: request.headers['x-pipewright-delivery'], pipeline, notificationRuleName: ruleName, source: 'pipewright.codepipeline' });
      expect(request.headers['x-pipewright-event']).toBe(body.eventTypeId);
      expect(body.detail).toMatchObject({ pipeline, executionId: body.executionId });
    }
    const stageHook = hook.requests.map((r) => JSON.parse(r.body)).find((b) => b.eventTypeId === STAGE_SUCCEEDED);
    expect(stageHook).toMatchObject({ detailType: 'CodePipeline Stage Execution State Change', detail: { stage: 'Source', state: 'SUCCEEDED', executionId } });

    // Chat: a Slack-compatible message with pipeline, stage, status and a link.
    expect(chat.requests).toHaveLength(4);
    for (const request of chat.requests) expect(request.headers.authorization).toBe('Bearer test-chat-token');
    const stageChat = chat.requests.map((r) => JSON.parse(r.body)).find((b) => String(b.text).includes('stage Source SUCCEEDED'));
    expect(stageChat.text).toContain(`http://console.test/pipelines/${pipeline}/executions/${executionId}`);
    const fields = stageChat.blocks.flatMap((b: any) => b.fields ?? []).map((f: any) => f.text);
    expect(fields).toEqual(expect.arrayContaining([`*Pipeline:* ${pipeline}`, '*Stage:* Source', '*Status:* SUCCEEDED']));

    // Email: plain and HTML, one per delivery.
    await eventually(() => (mail.messages.filter((m) => readable(m.raw).includes(pipeline)).length >= 4 ? true : undefined), 'four emails');
    const mails = mail.messages.filter((m) => readable(m.raw).includes(pipeline)).map((m) => ({ ...m, text: readable(m.raw) }));
    expect(mails).toHaveLength(4);
    for (const m of mails) {
      expect(m.to).toEqual(['team@example.com']);
      expect(m.from).toBe('pipewright@test.local');
      expect(m.text).toMatch(new RegExp(`Subject: \\[Pipewright\\] Pipeline ${pipeline}`));
      expect(m.text).toMatch(/Content-Type: text\/plain/i);
      expect(m.text).toMatch(/Content-Type: text\/html/i);
      expect(m.text).toMatch(/X-Pipewright-Delivery: [0-9a-f-]{36}/);
    }

    // Kafka: a CloudEvent per delivery, its id the delivery id.
    await eventually(() => (published.length >= 4 ? true : undefined), 'four Kafka notifications');
    await consumer.disconnect();
    expect(published.map((e) => e.id).sort()).toEqual(deliveries.filter((d) => d.target.type === 'kafka').map((d) => d.deliveryId).sort());
    for (const e of published) expect(JSON.parse(Buffer.from(e.data).toString())).toMatchObject({ pipeline, deliveryId: e.id });

    // History per target, paged newest first.
    const first = await service.client.call('ListDeliveries', { ruleName, targetAddress: hook.url, maxResults: 3 });
    const rest = await service.client.call('ListDeliveries', { ruleName, targetAddress: hook.url, nextToken: first.nextToken });
    expect(first.deliveries).toHaveLength(3);
    expect(rest.deliveries).toHaveLength(1);
    expect(rest.nextToken).toBe('');
    expect([...first.deliveries, ...rest.deliveries].map((d: any) => d.deliveryId).sort()).toEqual(hookDeliveries);
    expect(first.deliveries[0].eventTypeId).toBe(STARTED); // the newest: the second execution's start
  });

  it('retries a receiver that fails twice; the third attempt delivers, and every attempt is recorded', async () => {
    const pipeline = uniqueName('flaky');
    const hook = await receiver();
    hook.behaviour = (_request, index) => (index < 2 ? 'fail' : 'ok');
    const ruleName = uniqueName('rule');
    await service.client.call('CreateNotificationRule', { rule: { name: ruleName, pipelines: [pipeline], eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: hook.url, secretRef: 'hook-key' }] } });
    await orchestrator.publish([lifecycle(pipeline)[0]]);
    const [delivery] = await delivered(ruleName, 1);
    expect(delivery).toMatchObject({ attempts: 3, lastResponseCode: 200, lastError: '' });
    expect(hook.requests.map((r) => r.answered)).toEqual([503, 503, 200]);
    expect(new Set(hook.requests.map((r) => r.headers['x-pipewright-delivery']))).toEqual(new Set([delivery.deliveryId]));
    expect(new Set(hook.requests.map((r) => r.body)).size).toBe(1);
    const attempts = await service.sql<{ attempt: number; response_code: number; succeeded: boolean; latency_ms: number; error: string | null }>(
      `SELECT attempt, response_code, succeeded, latency_ms, error FROM $schema.delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [delivery.deliveryId],
    );
    expect(attempts.map((a) => [a.attempt, a.response_code, a.succeeded])).toEqual([
      [1, 503, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    for (const a of attempts) expect(a.latency_ms).toBeGreaterThanOrEqual(0);
    expect(attempts[0].error).toMatch(/503/);
  });

  it('dead-letters a delivery that always fails, and RedeliverNotification sends it again', async () => {
    const pipeline = uniqueName('down');
    const hook = await receiver();
    hook.behaviour = () => 'fail';
    const ruleName = uniqueName('rule');
    await service.client.call('CreateNotificationRule', { rule: { name: ruleName, pipelines: [pipeline], eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: hook.url }] } });
    const [eventId] = await orchestrator.publish([lifecycle(pipeline)[0]]);
    const dead = await eventually(async () => {
      const page = await service.client.call('ListDeliveries', { ruleName, status: 'DeadLettered' });
      return page.deliveries[0];
    }, 'a dead-lettered delivery');
    expect(dead).toMatchObject({ attempts: 3, lastResponseCode: 503, lastError: expect.stringMatching(/HTTP 503/), eventId });
    expect(hook.requests).toHaveLength(3);
    expect((await rejected(service.client.call('RedeliverNotification', { deliveryId: randomUUID() }))).code).toBe(status.NOT_FOUND);
    expect((await rejected(service.client.call('RedeliverNotification', { deliveryId: 'nope' }))).code).toBe(status.INVALID_ARGUMENT);

    hook.behaviour = () => 'ok';
    const again = await service.client.call('RedeliverNotification', { deliveryId: dead.deliveryId });
    expect(again.delivery).toMatchObject({ ruleName, eventId, status: 'Pending', attempts: 0 });
    expect(again.delivery.deliveryId).not.toBe(dead.deliveryId);
    await eventually(async () => {
      const page = await service.client.call('ListDeliveries', { ruleName, status: 'Delivered' });
      return page.deliveries.find((d: any) => d.deliveryId === again.delivery.deliveryId);
    }, 'the redelivery delivered');
    const last = hook.requests[hook.requests.length - 1];
    expect(last.headers['x-pipewright-delivery']).toBe(again.delivery.deliveryId);
    expect(JSON.parse(last.body)).toMatchObject({ eventId, deliveryId: again.delivery.deliveryId });
    // The dead letter stays in the history as it was.
    const history = await listAll(service.client, { ruleName });
    expect(history.map((d) => [d.deliveryId, d.status])).toEqual([
      [again.delivery.deliveryId, 'Delivered'],
      [dead.deliveryId, 'DeadLettered'],
    ]);
  });

  it('a target that answers 100 MB or never answers fails bounded, holds up no other target, and the service stays up', async () => {
    const pipeline = uniqueName('hostile');
    const [huge, silent, good] = [await receiver(), await receiver(), await receiver()];
    huge.behaviour = () => 'huge';
    silent.behaviour = () => 'hang';
    const ruleName = uniqueName('rule');
    await service.client.call('CreateNotificationRule', {
      rule: {
        name: ruleName,
        pipelines: [pipeline],
        eventTypeIds: [STARTED],
        targets: [
          { type: 'webhook', address: huge.url },
          { type: 'webhook', address: silent.url },
          { type: 'webhook', address: good.url },
        ],
      },
    });
    await orchestrator.publish([lifecycle(pipeline)[0]]);
    const byTarget = await eventually(async () => {
      const all = await listAll(service.client, { ruleName });
      const find = (r: Receiver) => all.find((d) => d.target.address === r.url);
      const [h, s, g] = [find(huge), find(silent), find(good)];
      return h?.status === 'DeadLettered' && s?.status === 'DeadLettered' && g?.status === 'Delivered' ? { h, s, g } : undefined;
    }, 'the hostile targets dead-lettered and the good one delivered', 60_000);
    expect(byTarget.g.attempts).toBe(1);
    expect(byTarget.h).toMatchObject({ attempts: 3, lastResponseCode: 200, lastError: expect.stringMatching(/larger than 65536 bytes/) });
    expect(byTarget.s).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/no complete answer within 1500 ms/) });
    expect(await checkHealth(service.address)).toBe('SERVING');
    expect(service.proc.child.exitCode).toBeNull();
  }, 90_000);

  describe('bad input: INVALID_ARGUMENT with every problem and its path, nothing stored', () => {
    const base = () => ({ name: uniqueName('bad'), pipelines: ['web'], eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: 'https://hooks.example.com/x' }] });
    it.each([
      ['an unknown event type', { eventTypeIds: [STARTED, 'codepipeline-pipeline-pipeline-execution-exploded'] }, ['rule.event_type_ids[1]']],
      ['a bad URL', { targets: [{ type: 'webhook', address: 'not a url' }] }, ['rule.targets[0].address']],
      ['a URL that is not http', { targets: [{ type: 'chat', address: 'file:///etc/passwd' }] }, ['rule.targets[0].address']],
      ['empty targets', { targets: [] }, ['rule.targets']],
      ['an unknown secret', { targets: [{ type: 'webhook', address: 'https://hooks.example.com/x', secretRef: 'nope' }] }, ['rule.targets[0].secret_ref']],
      ['everything at once', { eventTypeIds: ['x'], targets: [], status: 'MAYBE' }, ['rule.event_type_ids[0]', 'rule.targets', 'rule.status']],
    ])('%s', async (_label, change, paths) => {
      const rule = { ...base(), ...change };
      const error = await rejected(service.client.call('CreateNotificationRule', { rule }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(problemsFromMetadata(error.metadata).map((p) => p.path)).toEqual(paths);
      for (const path of paths) expect(error.details).toContain(path);
      const listed = await service.client.call('ListNotificationRules', { pipelineName: 'web', maxResults: 1000 });
      expect(listed.rules.map((r: any) => r.name)).not.toContain(rule.name);
    });

    it('no rule at all, and bad paging', async () => {
      expect(problemsFromMetadata((await rejected(service.client.call('CreateNotificationRule', {}))).metadata)).toEqual([{ path: 'rule', message: 'rule is required' }]);
      expect((await rejected(service.client.call('ListDeliveries', { status: 'Lost' }))).code).toBe(status.INVALID_ARGUMENT);
      expect((await rejected(service.client.call('ListDeliveries', { nextToken: 'abc' }))).code).toBe(status.INVALID_ARGUMENT);
      expect((await rejected(service.client.call('ListNotificationRules', { maxResults: 5000 }))).code).toBe(status.INVALID_ARGUMENT);
    });
  });

  it('updates, lists by pipeline and deletes rules', async () => {
    const pipeline = uniqueName('managed');
    const name = uniqueName('rule');
    const everyPipeline = uniqueName('all');
    const target = { type: 'webhook', address: 'https://hooks.example.com/a' };
    await service.client.call('CreateNotificationRule', { rule: { name, pipelines: [pipeline], eventTypeIds: [STARTED], targets: [target] } });
    expect((await rejected(service.client.call('CreateNotificationRule', { rule: { name, pipelines: [pipeline], eventTypeIds: [STARTED], targets: [target] } }))).code).toBe(status.ALREADY_EXISTS);
    await service.client.call('CreateNotificationRule', { rule: { name: everyPipeline, eventTypeIds: [STARTED], targets: [target], status: 'DISABLED' } });
    const updated = await service.client.call('UpdateNotificationRule', {
      rule: { name, pipelines: [pipeline], eventTypeIds: [SUCCEEDED], targets: [{ type: 'webhook', address: 'https://hooks.example.com/b' }], detailType: 'BASIC' },
    });
    expect(updated.rule).toMatchObject({ name, eventTypeIds: [SUCCEEDED], detailType: 'BASIC', targets: [{ type: 'webhook', address: 'https://hooks.example.com/b', secretRef: '' }] });
    const listed = await service.client.call('ListNotificationRules', { pipelineName: pipeline, maxResults: 1000 });
    expect(listed.rules.map((r: any) => r.name)).toEqual(expect.arrayContaining([name, everyPipeline]));
    expect(listed.rules.map((r: any) => r.name)).not.toContain(undefined);
    const elsewhere = await service.client.call('ListNotificationRules', { pipelineName: uniqueName('elsewhere'), maxResults: 1000 });
    expect(elsewhere.rules.map((r: any) => r.name)).toContain(everyPipeline);
    expect(elsewhere.rules.map((r: any) => r.name)).not.toContain(name);
    await service.client.call('DeleteNotificationRule', { name });
    expect((await rejected(service.client.call('DeleteNotificationRule', { name }))).code).toBe(status.NOT_FOUND);
    expect((await rejected(service.client.call('UpdateNotificationRule', { rule: { name, eventTypeIds: [STARTED], targets: [target] } }))).code).toBe(status.NOT_FOUND);
    const after = await service.client.call('ListNotificationRules', { pipelineName: pipeline, maxResults: 1000 });
    expect(after.rules.map((r: any) => r.name)).not.toContain(name);
  });
});
