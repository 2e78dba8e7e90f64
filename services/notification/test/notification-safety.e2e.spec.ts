import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { status } from '@grpc/grpc-js';
import { problemsFromMetadata } from '@pipewright/service-kit';
import { uniqueName } from '@pipewright/testing';
import { eventually, lifecycle, NotificationProcess, Orchestrator, Receiver, rejected } from './support';

jest.setTimeout(60_000);

const STARTED = 'codepipeline-pipeline-pipeline-execution-started';

describe('NotificationService refuses internal targets unless the operator allows them', () => {
  let service: NotificationProcess;
  let orchestrator: Orchestrator;
  let hook: Receiver;

  beforeAll(async () => {
    hook = await Receiver.start();
    service = await NotificationProcess.start({ PIPEWRIGHT_NOTIFICATION_ALLOW_PRIVATE_TARGETS: 'false' });
    orchestrator = await Orchestrator.connect();
  }, 120_000);

  afterAll(async () => {
    await orchestrator?.disconnect();
    const exit = await service?.stop();
    await hook?.close();
    await service?.dropSchema();
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it.each([
    ['the test receiver on loopback', () => hook.url],
    ['localhost', () => 'http://localhost:8080/hook'],
    ['cloud metadata (link-local)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['a private network', () => 'https://10.20.30.40/hook'],
    ['IPv6 loopback', () => 'http://[::1]:8080/hook'],
    ['loopback written as a number', () => 'http://2130706433:8080/hook'],
  ])('refuses %s at CreateNotificationRule', async (_label, url) => {
    const error = await rejected(service.client.call('CreateNotificationRule', { rule: { name: uniqueName('internal'), eventTypeIds: [STARTED], targets: [{ type: 'chat', address: url() }] } }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(problemsFromMetadata(error.metadata)).toEqual([{ path: 'rule.targets[0].address', message: expect.stringMatching(/loopback, link-local or private/) }]);
  });

  it('accepts a public URL', async () => {
    const created = await service.client.call('CreateNotificationRule', {
      rule: { name: uniqueName('public'), pipelines: [uniqueName('nowhere')], eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: 'https://hooks.example.com/pipewright' }] },
    });
    expect(created.rule.targets[0].address).toBe('https://hooks.example.com/pipewright');
  });

  it('refuses at send time a name that resolves to an internal address, and records why', async () => {
    const name = hostname();
    const { address } = await lookup(name);
    expect(address).toMatch(/^127\./); // this machine's name resolves to loopback (/etc/hosts)
    const pipeline = uniqueName('rebind');
    const ruleName = uniqueName('rule');
    const url = hook.url.replace('127.0.0.1', name);
    await service.client.call('CreateNotificationRule', { rule: { name: ruleName, pipelines: [pipeline], eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: url }] } });
    await orchestrator.publish([lifecycle(pipeline)[0]]);
    const dead = await eventually(async () => (await service.client.call('ListDeliveries', { ruleName, status: 'DeadLettered' })).deliveries[0], 'the refused delivery dead-lettered');
    expect(dead).toMatchObject({ attempts: 3, lastResponseCode: 0, lastError: expect.stringMatching(/^refused: .* is 127\./) });
    expect(hook.requests).toHaveLength(0);
  });
});
