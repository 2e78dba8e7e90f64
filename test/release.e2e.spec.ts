/**
 * The whole platform, as a team meets it: five service processes, the real broker and database, a
 * real git repository. A commit arrives through the signed webhook trigger → Source → Build runs
 * real commands and produces an artifact → two parallel Test actions consume it → a manual approval
 * approved through the CLI → Deploy writes the release into a directory. A second run kills the
 * job-worker mid-build and restarts it: the execution still finishes.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executionV1 } from '@pipewright/contracts';
import { fold } from '@pipewright/decider';
import { openEventStore } from '@pipewright/event-store';
import { executionDecider, pipelineExecutionView } from '@pipewright/execution-domain';
import { decodeCloudEvent, KafkaMessaging, positioned, topicCatalog, Topics } from '@pipewright/messaging';
import { GrpcClient, serviceAddress, serviceDefaults, ServiceName, ServiceProcess, startServiceProcess, waitUntilServing, workspaceRoot } from '@pipewright/service-kit';
import { eventually, pushHeaders, TestRepo, testEnv, uniqueName } from '@pipewright/testing';
import { Kafka, logLevel } from 'kafkajs';
import { executionEvents } from '../services/orchestrator/src/executions/streams';
import { pipelineExecutionMessage } from '../services/orchestrator/src/executions/views';
import { gitSourceStage } from './declarations';

jest.setTimeout(240_000);

const name = uniqueName('release').replace(/_/g, '-');
const webhookSecret = 'push-secret-for-the-test';
const notificationSecret = 'notification-secret-for-the-test';
const orchestratorSchema = uniqueName('orchestrator_release');
const scratch = mkdtempSync(join(tmpdir(), 'pipewright-release-'));
const deployDir = join(scratch, 'deploy');

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

function declaration(repository: string) {
  const shell = (actionName: string, category: string, commands: string, extra: object = {}) => ({
    name: actionName,
    actionTypeId: { category, owner: 'Pipewright', provider: 'Shell', version: '1' },
    configuration: { Commands: commands },
    ...extra,
  });
  return {
    pipeline: {
      name,
      pipelineType: 'V2',
      executionMode: 'QUEUED',
      variables: [{ name: 'greeting', defaultValue: 'hello from the variables' }],
      triggers: [{ providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: 'Checkout', push: [{ branches: { includes: ['main'] } }] } }],
      stages: [
        gitSourceStage(repository, { namespace: 'SourceVariables' }),
        {
          name: 'Build',
          actions: [
            shell(
              'Compile',
              'Build',
              [
                'if [ -f slow ]; then sleep 8; fi',
                'mkdir -p dist',
                'export VERSION="1.0.$(wc -l < CHANGES)"',
                'printf \'#!/usr/bin/env bash\\necho "%s %s from %s"\\n\' "$(cat app.txt)" "#{variables.greeting}" "#{SourceVariables.CommitId}" > dist/app.sh',
              ].join('\n'),
              {
                namespace: 'BuildVariables',
                inputArtifacts: [{ name: 'SourceArtifact' }],
                outputArtifacts: [{ name: 'BuildArtifact', files: ['dist/**/*'] }],
                outputVariables: ['VERSION'],
                retryPolicy: { maxAttempts: 2, backoffSeconds: 1 },
              },
            ),
          ],
        },
        {
          name: 'Test',
          actions: [
            shell('UnitTests', 'Test', 'sleep 2\nbash dist/app.sh | grep -q "from #{SourceVariables.CommitId}"', { runOrder: 1, inputArtifacts: [{ name: 'BuildArtifact' }] }),
            shell('LintChecks', 'Test', 'sleep 2\nbash -n dist/app.sh\necho "checked version #{BuildVariables.VERSION}"', { runOrder: 1, inputArtifacts: [{ name: 'BuildArtifact' }] }),
          ],
        },
        { name: 'Approval', actions: [{ name: 'Release', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' }, configuration: { CustomData: 'Ship #{SourceVariables.CommitId}?' } }] },
        {
          name: 'Deploy',
          actions: [
            {
              name: 'Publish',
              actionTypeId: { category: 'Deploy', owner: 'Pipewright', provider: 'Directory', version: '1' },
              configuration: { TargetDirectory: deployDir, KeepReleases: '5' },
              inputArtifacts: [{ name: 'BuildArtifact' }],
            },
          ],
        },
      ],
    },
  };
}

describe('a release through all five services', () => {
  const env = testEnv();
  const processes = new Map<ServiceName, ServiceProcess>();
  const notifications: Received[] = [];
  const cloudEvents: ReturnType<typeof decodeCloudEvent>[] = [];
  let receiver: Server;
  let repo: TestRepo;
  let pipelines: GrpcClient;
  let executions: GrpcClient;
  let artifacts: GrpcClient;
  let consumer: ReturnType<Kafka['consumer']>;

  const serviceEnv: NodeJS.ProcessEnv = {
    DATABASE_URL: env.databaseUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    PIPEWRIGHT_POLL_INTERVAL_MS: '0',
    PIPEWRIGHT_ORCHESTRATOR_SCHEMA: orchestratorSchema,
    PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: orchestratorSchema,
    PIPEWRIGHT_JOB_HEARTBEAT_TIMEOUT_SECONDS: '4',
    PIPEWRIGHT_JOB_HEARTBEAT_MS: '500',
    PIPEWRIGHT_JOB_WORKER_PIPELINES: name,
    PIPEWRIGHT_WORKSPACE_ROOT: join(scratch, 'workspaces'),
    PIPEWRIGHT_JOB_LOG_ROOT: join(scratch, 'job-logs'),
    PIPEWRIGHT_ARTIFACT_ROOT: join(scratch, 'artifacts'),
    PIPEWRIGHT_NOTIFICATION_ALLOW_PRIVATE_TARGETS: 'true',
    PIPEWRIGHT_NOTIFICATION_SECRETS: JSON.stringify({ release: notificationSecret }),
    PIPEWRIGHT_NOTIFICATION_START_FROM: 'latest',
    // Other suites left history on the shared topics: this platform's new groups start at the end.
    PIPEWRIGHT_CONSUMER_START_FROM: 'latest',
  };

  const start = (service: ServiceName) => {
    const proc = startServiceProcess(service, serviceEnv);
    processes.set(service, proc);
    return waitUntilServing(serviceAddress(service), proc, 90_000);
  };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        notifications.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

    // On a fresh broker the topics do not exist before the services start: create them (and wait for
    // their leaders) the way a service does, then join at the end and take the start offsets.
    const topics = new KafkaMessaging({ clientId: uniqueName('release-topics'), brokers: env.kafkaBrokers, topics: topicCatalog() });
    await topics.start();
    await topics.close();
    const kafka = new Kafka({ brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: uniqueName('outside-subscriber') });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.ExecutionEvents, fromBeginning: false });
    const joined = positioned(consumer, 60_000);
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() === name) cloudEvents.push(decodeCloudEvent(message));
      },
    });
    if (!(await joined)) throw new Error("the outside subscriber did not join within 60 s");

    await Promise.all((Object.keys(serviceDefaults) as ServiceName[]).map(start));
    pipelines = new GrpcClient('PipelineService', serviceAddress('pipeline-definition'));
    executions = new GrpcClient('ExecutionService', serviceAddress('orchestrator'));
    artifacts = new GrpcClient('ArtifactService', serviceAddress('artifact'));

    repo = TestRepo.create();
    repo.commit({ 'app.txt': 'sample-app', CHANGES: 'first\n' }, 'The app');
    await pipelines.call('CreatePipeline', { pipelineDocument: JSON.stringify(declaration(repo.dir)) });
    await pipelines.call('PutWebhook', {
      webhook: { name, targetPipeline: name, targetAction: 'Checkout', authentication: 'GITHUB_HMAC', authenticationConfiguration: { secretToken: webhookSecret }, filters: [] },
    });
    const notificationService = new GrpcClient('NotificationService', serviceAddress('notification'));
    await notificationService.call('CreateNotificationRule', {
      rule: {
        name,
        pipelines: [name],
        eventTypeIds: ['codepipeline-pipeline-pipeline-execution-started', 'codepipeline-pipeline-manual-approval-needed', 'codepipeline-pipeline-pipeline-execution-succeeded'],
        targets: [{ type: 'webhook', address: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secretRef: 'release' }],
        status: 'ENABLED',
        detailType: 'FULL',
      },
    });
    notificationService.close();
  }, 240_000);

  afterAll(async () => {
    for (const client of [pipelines, executions, artifacts]) client?.close();
    await consumer?.disconnect();
    await Promise.all([...processes.values()].map((p) => p.stop()));
    receiver?.close();
    repo?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A push as GitHub delivers it, signed with the webhook's secret. */
  async function push(before: string, after: string): Promise<number> {
    const body = JSON.stringify(repo.pushPayload('GitHub', 'refs/heads/main', before, after));
    const port = serviceDefaults['pipeline-definition'] + 1000;
    const res = await fetch(`http://127.0.0.1:${port}/webhooks/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', ...pushHeaders('GitHub', body, webhookSecret) }, body });
    return res.status;
  }

  async function executionOf(commit: string): Promise<string> {
    return eventually(`an execution of ${commit.slice(0, 8)}`, async () => {
      const { pipelineExecutionSummaries } = await executions.call('ListPipelineExecutions', { pipelineName: name, maxResults: 100 });
      return pipelineExecutionSummaries.find((e: any) => e.sourceRevisions?.some((r: any) => r.revisionId === commit))?.pipelineExecutionId;
    }, 120_000);
  }

  /** What the platform says about an execution, for a failure message worth reading. */
  async function diagnosis(executionId: string): Promise<string> {
    const state = await executions.call('GetPipelineState', { name }).catch((e: Error) => e.message);
    const actions = await actionExecutions(executionId).catch((e: Error) => e.message);
    const logs = [...processes.values()].map((p) => `--- ${p.name}\n${p.lines.filter((l) => !/TimeoutNegativeWarning|Mapped \{|dependencies initialized/.test(l)).slice(-12).join('\n')}`);
    return JSON.stringify({ state, actions }, null, 1).slice(0, 6000) + '\n' + logs.join('\n');
  }

  async function approveWithCli(executionId: string): Promise<void> {
    await eventually('the pending approval', async () => {
      const state = await executions.call('GetPipelineState', { name });
      const stage = state.stageStates.find((s: any) => s.stageName === 'Approval');
      return stage?.latestExecution?.pipelineExecutionId === executionId && stage.actionStates[0]?.latestExecution?.token ? true : undefined;
    }, 120_000).catch(async (error) => {
      throw new Error(`${(error as Error).message}\n${await diagnosis(executionId)}`);
    });
    const cli = spawnSync(join(workspaceRoot, 'node_modules/.bin/pipewright'), ['approve', name, 'Approval', 'Release', '--summary', 'ship it', '--output', 'json'], { encoding: 'utf8', env: { ...process.env, PIPEWRIGHT_CONFIG: '' } });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
  }

  async function finished(executionId: string): Promise<any> {
    return eventually(`execution ${executionId} to finish`, async () => {
      const { pipelineExecution } = await executions.call('GetPipelineExecution', { pipelineName: name, pipelineExecutionId: executionId });
      return ['Succeeded', 'Failed', 'Stopped', 'Superseded', 'Cancelled'].includes(pipelineExecution.status) ? pipelineExecution : undefined;
    }, 180_000);
  }

  async function actionExecutions(executionId: string): Promise<any[]> {
    const { actionExecutionDetails } = await executions.call('ListActionExecutions', { pipelineName: name, filter: { pipelineExecutionId: executionId }, maxResults: 100 });
    return actionExecutionDetails;
  }

  it('takes a pushed commit through build, parallel tests, approval and deploy', async () => {
    const before = repo.head();
    const commit = repo.commit({ CHANGES: 'first\nsecond\n' }, 'A change to release');
    expect(await push(before, commit)).toBe(202);
    const id = await executionOf(commit);

    await approveWithCli(id);
    const execution = await finished(id);
    expect(execution.status).toBe('Succeeded');

    // GetPipelineState: every stage and action of this execution succeeded.
    const state = await executions.call('GetPipelineState', { name });
    expect(state.stageStates.map((s: any) => [s.stageName, s.latestExecution.pipelineExecutionId, s.latestExecution.status])).toEqual(
      ['Source', 'Build', 'Test', 'Approval', 'Deploy'].map((stage) => [stage, id, 'Succeeded']),
    );
    for (const stage of state.stageStates) for (const action of stage.actionStates) expect([action.actionName, action.latestExecution.status]).toEqual([action.actionName, 'Succeeded']);

    // The deployed release: built from this commit with the pipeline variable, switched in as `current`.
    const app = readFileSync(join(deployDir, 'current/dist/app.sh'), 'utf8');
    expect(app).toContain(`from ${commit}`);
    const ran = spawnSync('bash', [join(deployDir, 'current/dist/app.sh')], { encoding: 'utf8' });
    expect(ran.stdout.trim()).toBe(`sample-app hello from the variables from ${commit}`);

    // Variables flowed: Source's CommitId into Build's configuration, Build's VERSION into a test's.
    const details = await actionExecutions(id);
    const detail = (action: string) => details.find((d) => d.actionName === action && d.status === 'Succeeded');
    expect(detail('Checkout').output.outputVariables.CommitId).toBe(commit);
    expect(detail('Compile').input.resolvedConfiguration.Commands).toContain(`"${commit}"`);
    expect(detail('Compile').output.outputVariables.VERSION).toBe('1.0.2');
    expect(detail('LintChecks').input.resolvedConfiguration.Commands).toContain('checked version 1.0.2');

    // The two tests ran together: each started before the other finished.
    const [unit, lint] = [detail('UnitTests'), detail('LintChecks')];
    const seconds = (t: any) => Number(t.seconds) + t.nanos / 1e9;
    expect(seconds(unit.startTime)).toBeLessThan(seconds(lint.lastUpdateTime));
    expect(seconds(lint.startTime)).toBeLessThan(seconds(unit.lastUpdateTime));

    // The artifacts: what the action executions name is what the artifact service holds, byte for byte.
    const { artifacts: stored } = await artifacts.call('ListArtifacts', { pipelineExecutionId: id, maxResults: 100 });
    expect(stored.map((a: any) => a.name).sort()).toEqual(['BuildArtifact', 'SourceArtifact']);
    for (const artifact of stored) {
      const producer = details.find((d) => d.status === 'Succeeded' && d.output?.outputArtifacts?.some((o: any) => o.name === artifact.name));
      const named = producer.output.outputArtifacts.find((o: any) => o.name === artifact.name);
      expect(JSON.stringify(named)).toContain(artifact.sha256);
      const bytes = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const stream = (artifacts.stub as any).DownloadArtifact({ artifactId: artifact.artifactId });
        stream.on('data', (m: any) => m.chunk && chunks.push(Buffer.from(m.chunk)));
        stream.on('end', () => resolve(Buffer.concat(chunks)));
        stream.on('error', reject);
      });
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact.sha256);
      expect(bytes.length).toBe(Number(artifact.sizeBytes));
    }

    // The notification webhook: started, approval needed and succeeded, each verifiable.
    const received = await eventually('three signed notifications', async () => {
      const mine = notifications.filter((n) => JSON.parse(n.body).executionId === id);
      return mine.length >= 3 ? mine : undefined;
    }, 120_000);
    expect(received.map((n) => JSON.parse(n.body).eventTypeId).sort()).toEqual([
      'codepipeline-pipeline-manual-approval-needed',
      'codepipeline-pipeline-pipeline-execution-started',
      'codepipeline-pipeline-pipeline-execution-succeeded',
    ]);
    for (const n of received) {
      const expected = createHmac('sha256', notificationSecret).update(`${n.headers['x-pipewright-timestamp']}.${n.body}`).digest('hex');
      expect(n.headers['x-pipewright-signature']).toBe(`sha256=${expected}`);
      expect(n.headers['x-pipewright-delivery']).toBeTruthy();
    }

    // The CloudEvents lifecycle as an outside Kafka subscriber sees it, in order.
    const lifecycle = await eventually('the lifecycle on the execution-events topic', async () => {
      const mine = cloudEvents.filter((e) => e.type === 'pipewright.execution.v1.PipelineExecutionStateChange' && executionV1.PipelineExecutionStateChange.decode(e.data).executionId === id);
      const states = mine.map((e) => executionV1.PipelineExecutionStateChange.decode(e.data).state);
      return states.includes('SUCCEEDED') ? states : undefined;
    }, 120_000);
    expect(lifecycle[0]).toBe('STARTED');
    expect(lifecycle[lifecycle.length - 1]).toBe('SUCCEEDED');
    const stages = cloudEvents
      .filter((e) => e.type === 'pipewright.execution.v1.StageExecutionStateChange')
      .map((e) => executionV1.StageExecutionStateChange.decode(e.data))
      .filter((s) => s.executionId === id && s.state === 'SUCCEEDED')
      .map((s) => s.stage);
    expect(stages).toEqual(['Source', 'Build', 'Test', 'Approval', 'Deploy']);
    for (const e of cloudEvents) {
      expect(e.subject).toBe(name);
      expect(e.source).toMatch(/orchestrator/);
    }

    // The execution rebuilt from the log equals what GetPipelineExecution serves.
    const store = await openEventStore({ url: env.databaseUrl, schema: orchestratorSchema });
    try {
      const folded = pipelineExecutionView(fold(executionDecider, await executionEvents(store, id)))!;
      expect(executionV1.PipelineExecution.toJSON(executionV1.PipelineExecution.fromPartial(execution))).toEqual(executionV1.PipelineExecution.toJSON(pipelineExecutionMessage(folded.pipelineExecution)));
    } finally {
      await store.close();
    }
  });

  it('finishes a release whose job-worker was killed mid-build and restarted', async () => {
    const before = repo.head();
    const commit = repo.commit({ slow: 'the build sleeps while the worker is killed\n', CHANGES: 'first\nsecond\nthird\n' }, 'A slow build');
    expect(await push(before, commit)).toBe(202);
    const id = await executionOf(commit);
    await eventually('the build to be running', async () => {
      const state = await executions.call('GetPipelineState', { name });
      const build = state.stageStates.find((s: any) => s.stageName === 'Build');
      return build.latestExecution?.pipelineExecutionId === id && build.actionStates[0].latestExecution?.status === 'InProgress' ? true : undefined;
    }, 120_000);
    await new Promise((r) => setTimeout(r, 1500)); // the worker is inside the sleeping build
    await processes.get('job-worker')!.stop('SIGKILL');
    await start('job-worker');

    await approveWithCli(id);
    const execution = await finished(id);
    expect(execution.status).toBe('Succeeded');
    const builds = (await actionExecutions(id)).filter((d) => d.actionName === 'Compile').sort((a, b) => a.attempt - b.attempt);
    expect(builds.map((b) => [b.attempt, b.status])).toEqual([
      [1, 'Failed'],
      [2, 'Succeeded'],
    ]);
    expect(readFileSync(join(deployDir, 'current/dist/app.sh'), 'utf8')).toContain(`from ${commit}`);
    expect(readdirSync(join(deployDir, 'releases'))).toHaveLength(2);
  });

  it('is driven and read through the CLI: start, watch, reject, retry, stop, transitions, state, logs and events', async () => {
    const cli = (...args: string[]) => spawnSync(join(workspaceRoot, 'node_modules/.bin/pipewright'), args, { encoding: 'utf8', env: { ...process.env, PIPEWRIGHT_CONFIG: '' } });

    const started = cli('start', name, '--variable', 'greeting=hi from the CLI', '--output', 'json');
    expect(started.stderr).toBe('');
    const id = JSON.parse(started.stdout).pipelineExecutionId as string;
    expect(id).toBeTruthy();

    // Not a terminal: watch prints plain lines and stops at the approval with the command to run.
    const watched = cli('watch', name, id);
    expect(watched.status).toBe(0);
    expect(watched.stdout).toContain(`execution ${id}`);
    expect(watched.stdout).toContain(`waiting for approval: pipewright approve ${name} Approval Release`);

    const rejected = cli('reject', name, 'Approval', 'Release', '--summary', 'not this one');
    expect([rejected.status, rejected.stderr]).toEqual([0, '']);
    expect((await finished(id)).status).toBe('Failed');

    const state = cli('state', name);
    expect(state.status).toBe(0);
    expect(state.stdout).toMatch(/Approval\s+Release\s+Failed/);
    expect(JSON.parse(cli('executions', name, '--output', 'json').stdout).map((e: any) => e.pipelineExecutionId)).toContain(id);
    const actions = JSON.parse(cli('actions', name, '--execution', id, '--output', 'json').stdout);
    const compile = actions.find((a: any) => a.actionName === 'Compile');
    expect(compile.input.resolvedConfiguration.Commands).toContain('hi from the CLI');
    const logs = cli('logs', compile.actionExecutionId);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toContain('phase BUILD');
    const events = cli('events', '--pipeline', name, '--execution', id, '--output', 'json');
    expect(events.status).toBe(0);
    const types = events.stdout.trim().split('\n').map((line) => JSON.parse(line).eventTypeId);
    expect(types).toContain('codepipeline-pipeline-pipeline-execution-started');
    expect(types).toContain('codepipeline-pipeline-pipeline-execution-failed');

    // A stage that has not failed cannot be retried; the rejected one can, and waits for approval again.
    const notFailed = cli('retry', name, 'Build', '--failed', '--execution', id);
    expect(notFailed.status).toBe(5);
    expect(notFailed.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli('retry', name, 'Approval', '--failed', '--execution', id).status).toBe(0);
    await eventually('the approval to wait again', async () => ((await executions.call('GetPipelineExecution', { pipelineName: name, pipelineExecutionId: id })).pipelineExecution.status === 'InProgress' ? true : undefined), 120_000);

    const stopped = cli('stop', id, '--abandon', '--reason', 'stopped from the CLI');
    expect([stopped.status, stopped.stderr]).toEqual([0, '']);
    expect((await finished(id)).status).toBe('Stopped');
    const again = cli('stop', id, '--pipeline', name);
    expect(again.status).toBe(5);
    expect(again.stderr).toMatch(/^pipewright: FAILED_PRECONDITION: /);

    expect(cli('transition', 'disable', name, 'Deploy', '--reason', 'freeze').status).toBe(0);
    expect(cli('state', name, '--output', 'json').stdout).toMatch(/"disabledReason": "freeze"/);
    expect(cli('transition', 'enable', name, 'Deploy').status).toBe(0);
    const unknown = cli('state', uniqueName('no-such-pipeline'));
    expect(unknown.status).toBe(3);
  });
});
