/**
 * Secrets end to end (issue #9): a team's secret, referenced as #{secrets.name}, reaches the job that
 * uses it and nothing else. Real processes (pipeline-definition, orchestrator, artifact, job-worker,
 * notification), the real broker and database, a real HTTP peer for notifications. The secret is
 * echoed, exported as an output variable and printed in a failing action's error; then every place
 * Pipewright writes to is scanned for the plaintext: job logs, every Kafka message of the test,
 * every row of the services' schemas, artifact metadata, the execution API, notification deliveries.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { KafkaMessaging, positioned, topicCatalog, Topics } from '@pipewright/messaging';
import { GrpcClient } from '@pipewright/service-kit';
import { eventually, rejected, TestRepo, testEnv, uniqueName } from '@pipewright/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { Platform } from './platform';
import { gitSourceStage } from './declarations';

jest.setTimeout(300_000);

const name = uniqueName('secrets').replace(/_/g, '-');
const secret = `pw-secret-${randomBytes(16).toString('hex')}`;
const scratch = mkdtempSync(join(tmpdir(), 'pipewright-secrets-'));

function declaration(repository: string) {
  const shell = (actionName: string, commands: string[], extra: object = {}) => ({
    name: actionName,
    actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' },
    configuration: { Commands: commands.join('\n') },
    inputArtifacts: [{ name: 'SourceArtifact' }],
    ...extra,
  });
  return {
    pipeline: {
      name,
      pipelineType: 'V2',
      stages: [
        gitSourceStage(repository),
        {
          name: 'Build',
          actions: [
            shell(
              'UseToken',
              [
                'echo "the token is #{secrets.deploy-token}"',
                // Written in pieces, so the worker receives the value split over output chunks.
                'token="#{secrets.deploy-token}"; printf "%s" "${token:0:9}"; sleep 0.3; printf "%s\\n" "${token:9}"',
                'export LEAKED="prefix-#{secrets.deploy-token}"',
                'mkdir -p out && echo built > out/result.txt',
              ],
              { namespace: 'BuildVariables', outputVariables: ['LEAKED'], outputArtifacts: [{ name: 'BuildArtifact', files: ['out/**/*'] }] },
            ),
          ],
        },
        {
          name: 'Release',
          actions: [
            shell('FailLoudly', ['echo "cannot deploy with #{secrets.deploy-token}" >&2', 'exit 3']),
            shell('UnknownSecret', ['echo "#{secrets.no-such-secret}"']),
          ],
        },
      ],
    },
  };
}

describe('secrets', () => {
  const env = testEnv();
  const kafkaMessages: string[] = [];
  const deliveries: string[] = [];
  let platform: Platform;
  let receiver: Server;
  let repo: TestRepo;
  let consumer: ReturnType<Kafka['consumer']>;
  let secrets: GrpcClient;
  let pipelines: GrpcClient;
  let executions: GrpcClient;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        deliveries.push(JSON.stringify(req.headers) + Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

    // Every message on Pipewright's topics from now on, read by a group of our own.
    const topics = new KafkaMessaging({ clientId: uniqueName('secrets-topics'), brokers: env.kafkaBrokers, topics: topicCatalog() });
    await topics.start();
    await topics.close();
    consumer = new Kafka({ brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('secrets-scan') });
    await consumer.connect();
    await consumer.subscribe({ topics: Object.values(Topics), fromBeginning: false });
    const joined = positioned(consumer, 60_000);
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.entries(message.headers ?? {}).map(([k, v]) => `${k}=${String(v)}`);
        kafkaMessages.push([message.key?.toString('latin1') ?? '', message.value?.toString('latin1') ?? '', ...headers].join('\n'));
      },
    });
    if (!(await joined)) throw new Error('the scanning consumer did not join within 60 s');

    platform = await Platform.create('secrets', { scratch, pipelines: [name], env: { PIPEWRIGHT_SECRETS_KEY: randomBytes(32).toString('base64') } });
    await platform.start();
    secrets = new GrpcClient('SecretService', platform.address('pipeline-definition'));
    pipelines = new GrpcClient('PipelineService', platform.address('pipeline-definition'));
    executions = new GrpcClient('ExecutionService', platform.address('orchestrator'));

    repo = TestRepo.create();
    repo.commit({ 'app.txt': 'app' }, 'The app');
    await pipelines.call('CreatePipeline', { pipelineDocument: JSON.stringify(declaration(repo.dir)) });
    const notifications = new GrpcClient('NotificationService', platform.address('notification'));
    await notifications.call('CreateNotificationRule', {
      rule: {
        name,
        pipelines: [name],
        eventTypeIds: ['codepipeline-pipeline-pipeline-execution-started', 'codepipeline-pipeline-pipeline-execution-failed', 'codepipeline-pipeline-action-execution-failed', 'codepipeline-pipeline-action-execution-succeeded'],
        targets: [{ type: 'webhook', address: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` }],
        status: 'ENABLED',
        detailType: 'FULL',
      },
    });
    notifications.close();
  }, 300_000);

  afterAll(async () => {
    for (const client of [secrets, pipelines, executions]) client?.close();
    await consumer?.disconnect();
    await platform?.stop();
    receiver?.close();
    repo?.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('stores a secret as metadata only, and refuses bad input naming the field or the secret', async () => {
    // With auth off a pipeline has no recorded owner: its jobs read team "default".
    const { secret: stored } = await secrets.call('PutSecret', { team: 'default', name: 'deploy-token', value: secret });
    expect(stored).toMatchObject({ team: 'default', name: 'deploy-token', version: '1' });
    expect(JSON.stringify(stored)).not.toContain(secret);
    const { secret: again } = await secrets.call('PutSecret', { team: 'default', name: 'scratch', value: 'temporary' });
    expect(again.version).toBe('1');
    expect((await secrets.call('PutSecret', { team: 'default', name: 'scratch', value: 'changed' })).secret.version).toBe('2');

    const { secrets: listed } = await secrets.call('ListSecrets', { team: 'default' });
    expect(listed.map((s: any) => [s.name, s.version])).toEqual(expect.arrayContaining([['deploy-token', '1'], ['scratch', '2']]));
    expect(JSON.stringify(listed)).not.toMatch(/temporary|changed|pw-secret-/);

    const badName = await rejected(secrets.call('PutSecret', { team: 'default', name: 'no spaces/allowed', value: 'x' }));
    expect([badName.code, badName.details]).toEqual([status.INVALID_ARGUMENT, 'invalid request\nname: a secret name is 1-128 letters, digits, \'_\', \'.\' and \'-\', not "no spaces/allowed"']);
    const noTeam = await rejected(secrets.call('PutSecret', { name: 'ok', value: 'x' }));
    expect([noTeam.code, noTeam.details]).toEqual([status.INVALID_ARGUMENT, 'invalid request\nteam: team is required']);
    const tooBig = await rejected(secrets.call('PutSecret', { team: 'default', name: 'big', value: 'x'.repeat(64 * 1024 + 1) }));
    expect([tooBig.code, tooBig.details]).toEqual([status.INVALID_ARGUMENT, 'invalid request\nvalue: a secret value is at most 65536 bytes, not 65537']);
    const unknown = await rejected(secrets.call('DeleteSecret', { team: 'default', name: 'never-put' }));
    expect([unknown.code, unknown.details]).toEqual([status.NOT_FOUND, 'secret never-put does not exist in team default']);
    const unresolved = await rejected(secrets.call('ResolveJobSecrets', { jobId: 'job-1', pipelineName: name, names: ['deploy-token', 'never-put'] }));
    expect([unresolved.code, unresolved.details]).toEqual([status.NOT_FOUND, 'secret never-put does not exist in team default']);
    const badRef = await rejected(secrets.call('ResolveJobSecrets', { jobId: 'job-1', pipelineName: name, names: ['a@b'] }));
    expect([badRef.code, badRef.details]).toEqual([status.INVALID_ARGUMENT, expect.stringContaining('\nnames[0]: a secret name')]);

    await secrets.call('DeleteSecret', { team: 'default', name: 'scratch' });
    expect((await secrets.call('ListSecrets', { team: 'default' })).secrets.map((s: any) => s.name)).not.toContain('scratch');
  });

  it('given no PIPEWRIGHT_SECRETS_KEY, then puts and resolutions fail with FAILED_PRECONDITION naming the variable', async () => {
    const keyless = await Platform.create('secrets-nokey', { scratch: join(scratch, 'nokey'), pipelines: [] });
    try {
      await keyless.start(['pipeline-definition']);
      const client = new GrpcClient('SecretService', keyless.address('pipeline-definition'));
      for (const call of [client.call('PutSecret', { team: 'default', name: 'a', value: 'v' }), client.call('ResolveJobSecrets', { jobId: 'j', pipelineName: 'p', names: ['a'] })]) {
        const error = await rejected(call);
        expect([error.code, error.details]).toEqual([status.FAILED_PRECONDITION, expect.stringContaining('PIPEWRIGHT_SECRETS_KEY is not set')]);
      }
      client.close();
    } finally {
      await keyless.stop();
    }
  });

  it('uses the secret in the job and masks it everywhere the platform writes', async () => {
    const { pipelineExecutionId: id } = await executions.call('StartPipelineExecution', { name });
    const execution = await eventually('the execution to finish', async () => {
      const { pipelineExecution } = await executions.call('GetPipelineExecution', { pipelineName: name, pipelineExecutionId: id });
      return ['Succeeded', 'Failed', 'Stopped'].includes(pipelineExecution.status) ? pipelineExecution : undefined;
    }, 240_000);
    expect(execution.status).toBe('Failed');

    const { actionExecutionDetails: details } = await executions.call('ListActionExecutions', { pipelineName: name, filter: { pipelineExecutionId: id }, maxResults: 100 });
    const detail = (action: string) => details.find((d: any) => d.actionName === action);
    // The secret was used: the build succeeded, its output variable exists, but holds only the mask.
    expect(detail('UseToken').status).toBe('Succeeded');
    expect(detail('UseToken').output.outputVariables.LEAKED).toBe('prefix-***');
    // The configuration as resolved at dispatch still holds the reference, never the value.
    expect(detail('UseToken').input.resolvedConfiguration.Commands).toContain('#{secrets.deploy-token}');
    expect(detail('FailLoudly').status).toBe('Failed');
    expect(detail('FailLoudly').output.executionResult.errorDetails.message).toContain('cannot deploy with ***');
    expect(detail('UnknownSecret').output.executionResult.errorDetails).toEqual({ code: 'ConfigurationError', message: expect.stringContaining('secret no-such-secret does not exist in team default') });

    // Job logs, in full: the value was printed (even split over two writes) and is masked.
    const db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
    const jobLogs = new GrpcClient('JobLogService', platform.address('job-worker'));
    const logs: string[] = [];
    try {
      const { rows: jobs } = await db.query(`SELECT job_id FROM "${platform.env.PIPEWRIGHT_JOB_WORKER_SCHEMA}".handled_jobs`);
      expect(jobs.length).toBeGreaterThanOrEqual(4);
      for (const { job_id } of jobs) {
        logs.push(
          await new Promise<string>((resolve, reject) => {
            const call = (jobLogs.stub as any).GetJobLogs({ jobId: job_id }, new Metadata(), { deadline: Date.now() + 60_000 });
            let text = '';
            call.on('data', (m: { text: string }) => (text += m.text));
            call.on('error', reject);
            call.on('end', () => resolve(text));
          }),
        );
      }
      const log = logs.join('\n');
      expect(log).toContain('the token is ***');
      expect(log).toMatch(/^\*\*\*$/m);
      expect(log).toContain('cannot deploy with ***');

      // Wait for the failure's notifications, then read everything else.
      await eventually('the failure notification', () => (deliveries.some((d) => d.includes('codepipeline-pipeline-pipeline-execution-failed')) ? true : undefined), 120_000);
      const rows: string[] = [];
      const schemas = Object.entries(platform.env).filter(([k]) => /^PIPEWRIGHT_.*_SCHEMA$/.test(k)).map(([, v]) => v!);
      for (const schema of schemas) {
        const { rows: tables } = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema]);
        for (const { table_name } of tables) {
          const { rows: texts } = await db.query(`SELECT t::text AS row FROM "${schema}"."${table_name}" t`);
          rows.push(...texts.map((r) => `${schema}.${table_name}: ${r.row}`));
        }
      }
      expect(rows.some((r) => r.includes('.secrets: (default,deploy-token,1,'))).toBe(true);

      const artifacts = new GrpcClient('ArtifactService', platform.address('artifact'));
      const { artifacts: stored } = await artifacts.call('ListArtifacts', { pipelineExecutionId: id, maxResults: 100 });
      artifacts.close();
      expect(stored.map((a: any) => a.name).sort()).toEqual(['BuildArtifact', 'SourceArtifact']);
      const state = await executions.call('GetPipelineState', { name });

      const everywhere: Record<string, string> = {
        logs: log,
        kafka: kafkaMessages.join('\n'),
        database: rows.join('\n'),
        artifacts: JSON.stringify(stored),
        execution: JSON.stringify(execution),
        actionExecutions: JSON.stringify(details),
        state: JSON.stringify(state),
        notifications: deliveries.join('\n'),
        processOutput: platform.logs(100000),
      };
      expect(kafkaMessages.length).toBeGreaterThan(0);
      expect(deliveries.length).toBeGreaterThan(0);
      const hex = Buffer.from(secret).toString('hex');
      const leaks = Object.entries(everywhere).filter(([, text]) => text.includes(secret) || text.includes(hex)).map(([where]) => where);
      expect(leaks).toEqual([]);
    } finally {
      jobLogs.close();
      await db.end();
    }
  });
});
