import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { errorMetadataKeys } from '@pipewright/contracts';
import { signJobToken, signJwt } from '@pipewright/security';
import { workspaceRoot } from '@pipewright/service-kit';
import { rejected, testEnv, uniqueName } from '@pipewright/testing';
import { eventually, JobWorkerDouble } from '../services/orchestrator/test/support';
import { audience, issuer, SecuredServices } from './security-support';
import { gitSourceStage } from './declarations';

jest.setTimeout(240_000);

const errorName = (error: { metadata: Metadata }) => error.metadata.get(errorMetadataKeys.errorCode)[0];

/**
 * Job tokens (issue #9): the orchestrator mints one per dispatched job; with it a worker acts for
 * that job (and that nonce) only. Real pipeline-definition and orchestrator with PIPEWRIGHT_AUTH=required.
 */
describe('job tokens and the decision point (real pipeline-definition and orchestrator, PIPEWRIGHT_AUTH=required)', () => {
  const services = new SecuredServices();
  const run = uniqueName('jobtok').replace(/_/g, '-').toLowerCase();
  const team = `${run}-team`;
  const admin = `${run}-admin`;
  const workerAccount = `${run}-worker`;
  const customType = { category: 'Deploy', owner: 'Custom', provider: uniqueName('tokenwriter').slice(0, 35), version: '1' };
  const dir = mkdtempSync(join(tmpdir(), 'pipewright-job-tokens-'));
  const root = () => services.token(services.root);
  let source: JobWorkerDouble;

  beforeAll(async () => {
    // The orchestrator creates the topics (a fresh broker has none) before the test's source worker joins them.
    // Reads are audited too here: the audit log then holds every call the tests make.
    await services.start(['orchestrator'], { env: { PIPEWRIGHT_AUDIT_READS: 'true' } });
    source = new JobWorkerDouble(testEnv().kafkaBrokers, uniqueName('job-token-source'));
    await source.start();
    await services.call('IdentityService', 'CreateTeam', { name: team }, root());
    await services.call('IdentityService', 'PutRoleBinding', { binding: { subject: admin, team, role: 'admin' } }, root());
    await services.call('IdentityService', 'PutRoleBinding', { binding: { subject: workerAccount, team: '*', role: 'worker' } }, root());
    await services.call(
      'PipelineService',
      'CreateCustomActionType',
      {
        ...customType,
        settings: {},
        configurationProperties: [
          { name: 'File', required: true, key: true, secret: false, queryable: true, type: 'String' },
          { name: 'Message', required: true, key: false, secret: false, queryable: false, type: 'String' },
        ],
        inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
        outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
      },
      root(),
    );
  }, 200_000);

  afterAll(async () => {
    await source?.stop();
    const exits = await services.stop();
    if (exits.some((e) => e.code !== 0)) console.log(services.logs());
    rmSync(dir, { recursive: true, force: true });
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
  });

  /** A pipeline of the team whose Deploy action waits for a custom worker; started, its source played over Kafka. */
  async function startExecution(file: string): Promise<{ name: string; id: string }> {
    const name = uniqueName(`${run}-p`).replace(/_/g, '-');
    const pipeline = {
      name,
      stages: [
        gitSourceStage('/tmp/any-repository', { output: 'Src' }),
        { name: 'Deploy', actions: [{ name: 'Write', actionTypeId: customType, configuration: { File: file, Message: 'written with a job token' }, inputArtifacts: [{ name: 'Src' }] }] },
      ],
    };
    await services.call('PipelineService', 'CreatePipeline', { pipeline }, services.token(admin), { 'pipewright-team': team });
    const { pipelineExecutionId } = await services.call('ExecutionService', 'StartPipelineExecution', { name }, services.token(admin));
    const checkout = await source.job(name, 'Checkout');
    await source.acknowledge(checkout);
    await source.succeed(checkout);
    return { name, id: pipelineExecutionId };
  }

  const execution = async (name: string, id: string) =>
    (await services.call('ExecutionService', 'GetPipelineExecution', { pipelineName: name, pipelineExecutionId: id }, services.token(admin))).pipelineExecution;

  async function pollOne(file: string): Promise<{ id: string; nonce: string; data: { jobToken: string } }> {
    return eventually(`a job for ${file}`, async () => {
      const { jobs } = await services.call('JobService', 'PollForJobs', { actionTypeId: customType, maxBatchSize: 1, queryParam: { File: file } }, services.token(workerAccount), {}, 60_000);
      return jobs[0];
    });
  }

  it('the example worker polls with its service account and acknowledges and reports each job with that job\'s token', async () => {
    const file = join(dir, 'example.txt');
    const { name, id } = await startExecution(file);
    const child = spawn(process.execPath, ['-r', '@pipewright/ts-register', 'examples/custom-worker/worker.ts', '--address', services.clients.get('JobService')!.address, '--provider', customType.provider, '--max-jobs', '1'], {
      cwd: workspaceRoot,
      env: { ...process.env, PIPEWRIGHT_TOKEN: services.token(workerAccount, { expiresIn: 3600 }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) console.log(lines.join(''));
    expect(code).toBe(0);
    await eventually(`execution ${id} succeeds`, async () => ((await execution(name, id)).status === 'Succeeded' ? true : undefined));
    expect(readFileSync(file, 'utf8')).toBe('written with a job token\n');

    // The audit log names the job itself, not the worker's account, for the job's own calls.
    const { actionExecutionDetails } = await services.call('ExecutionService', 'ListActionExecutions', { pipelineName: name, filter: { pipelineExecutionId: id } }, services.token(admin));
    const jobId = actionExecutionDetails.find((d: any) => d.actionName === 'Write').actionExecutionId;
    const audited = async (subject: string) => (await services.call('IdentityService', 'ListAuditEvents', { subject, maxResults: 1000 }, root())).events;
    const jobCalls = await audited(`job:${jobId}`);
    expect(jobCalls.map((e: any) => [e.identity.kind, e.operation, e.outcome])).toEqual([
      ['job', 'JobService/AcknowledgeJob', 'ALLOWED'],
      ['job', 'JobService/PutJobSuccessResult', 'ALLOWED'],
    ]);
    expect((await audited(workerAccount)).some((e: any) => e.operation === 'JobService/PollForJobs')).toBe(true);
  });

  it('a job token reaches its own job only: other operations, other jobs, a wrong nonce, forged and expired tokens are refused', async () => {
    const file = join(dir, 'scoped.txt');
    const { name, id } = await startExecution(file);
    const job = await pollOne(file);
    const token = job.data.jobToken;
    expect(token).toMatch(/^pwj_/);

    // Its own job: details and acknowledgement.
    expect((await services.call('JobService', 'GetJobDetails', { jobId: job.id }, token)).jobDetails.id).toBe(job.id);

    // Anything else is PERMISSION_DENIED, with why.
    for (const [service, method, request] of [
      ['JobService', 'PollForJobs', { actionTypeId: customType, maxBatchSize: 1 }],
      ['PipelineService', 'GetPipeline', { name }],
      ['ExecutionService', 'StartPipelineExecution', { name }],
      ['ExecutionService', 'GetPipelineExecution', { pipelineName: name, pipelineExecutionId: id }],
      ['JobService', 'PutJobSuccessResult', { jobId: `${id}.Deploy.Other.1` }],
      ['JobService', 'AcknowledgeJob', { jobId: job.id, nonce: 'not-the-token-nonce' }],
    ] as const) {
      const error = await rejected(services.call(service, method, request, token));
      expect([method, error.code]).toEqual([method, status.PERMISSION_DENIED]);
      expect(error.details).toContain(`job ${job.id}`);
    }

    // Tokens the orchestrator did not mint, or minted long ago, are not tokens at all.
    const grant = { jobId: job.id, nonce: job.nonce, pipeline: name, executionId: id };
    const forged = signJobToken(grant, Buffer.from('a-secret-the-services-do-not-have!!'), new Date(Date.now() + 600_000), new Date());
    const expired = signJobToken(grant, services.jobSecret, new Date(Date.now() - 600_000), new Date(Date.now() - 1_200_000));
    for (const bad of [forged, expired]) {
      const error = await rejected(services.call('JobService', 'AcknowledgeJob', { jobId: job.id, nonce: job.nonce }, bad));
      expect(error.code).toBe(status.UNAUTHENTICATED);
    }

    // A validly signed token of a stale attempt (another nonce) passes the guard but not the job: its nonce is not the job's.
    const stale = signJobToken({ ...grant, nonce: 'a-stale-nonce' }, services.jobSecret, new Date(Date.now() + 600_000), new Date());
    for (const [method, request] of [
      ['AcknowledgeJob', { jobId: job.id, nonce: 'a-stale-nonce' }],
      ['PutJobSuccessResult', { jobId: job.id, executionDetails: { summary: 'from a stale attempt' } }],
      ['PutJobFailureResult', { jobId: job.id, failureDetails: { type: 'JobFailed', message: 'from a stale attempt' } }],
    ] as const) {
      const error = await rejected(services.call('JobService', method, request, stale));
      expect([method, error.code, errorName(error)]).toEqual([method, status.INVALID_ARGUMENT, 'InvalidNonceException']);
    }

    // The real token finishes the job, once: a replayed result is refused and changes nothing.
    expect((await services.call('JobService', 'AcknowledgeJob', { jobId: job.id, nonce: job.nonce }, token)).status).toBe('InProgress');
    await services.call('JobService', 'PutJobSuccessResult', { jobId: job.id, executionDetails: { summary: 'done by the test' } }, token);
    await eventually(`execution ${id} succeeds`, async () => ((await execution(name, id)).status === 'Succeeded' ? true : undefined));
    const replayed = await rejected(services.call('JobService', 'PutJobSuccessResult', { jobId: job.id, executionDetails: { summary: 'replayed' } }, token));
    expect([replayed.code, errorName(replayed)]).toEqual([status.FAILED_PRECONDITION, 'InvalidJobStateException']);
    const { actionExecutionDetails } = await services.call('ExecutionService', 'ListActionExecutions', { pipelineName: name, filter: { pipelineExecutionId: id } }, services.token(admin));
    expect(actionExecutionDetails.find((d: any) => d.actionName === 'Write')).toMatchObject({ status: 'Succeeded', output: { executionResult: { externalExecutionSummary: 'done by the test' } } });
  });

  it('Authorize records the address and service a caller reports only when a Pipewright service asks', async () => {
    const caller = `${run}-prober`;
    const ask = (extra: Record<string, string>) =>
      services.call(
        'IdentityService',
        'Authorize',
        { operation: 'PipelineService/DeletePipeline', pipeline: `${run}-nothing`, sourceAddress: 'ipv4:203.0.113.9:4242', service: 'orchestrator' },
        services.token(caller),
        extra,
      );
    expect((await ask({})).decision).toBe('PERMISSION_DENIED');
    // A service's own token beside the caller's: what it reports is recorded.
    const now = Math.floor(Date.now() / 1000);
    const serviceToken = signJwt({ iss: issuer, aud: audience, sub: 'service:orchestrator', pipewright_kind: 'service-account', iat: now, exp: now + 600 }, { alg: 'HS256', secret: services.secret });
    expect((await ask({ 'pipewright-service-authorization': `Bearer ${serviceToken}` })).decision).toBe('PERMISSION_DENIED');
    // A user's token in that place proves nothing.
    expect((await ask({ 'pipewright-service-authorization': `Bearer ${services.token(caller)}` })).decision).toBe('PERMISSION_DENIED');

    const { events } = await services.call('IdentityService', 'ListAuditEvents', { subject: caller, maxResults: 10 }, root());
    expect(events.map((e: any) => [e.sourceAddress === 'ipv4:203.0.113.9:4242', e.service])).toEqual([
      [false, 'unverified (reported orchestrator)'],
      [true, 'orchestrator'],
      [false, 'unverified (reported orchestrator)'],
    ]);
    expect(events[0].sourceAddress).toMatch(/127\.0\.0\.1/);
  });

  it('with PIPEWRIGHT_AUDIT_READS=true the audit log holds every call a caller made, reads included, in order, whichever service served it', async () => {
    const file = join(dir, 'audited.txt');
    const { name, id } = await startExecution(file);
    const calls: [string, string, unknown][] = [
      ['PipelineService', 'GetPipeline', { name }],
      ['ExecutionService', 'GetPipelineState', { name }],
      ['ExecutionService', 'ListPipelineExecutions', { pipelineName: name }],
      ['ExecutionService', 'GetPipelineState', { name }],
      ['ExecutionService', 'StopPipelineExecution', { pipelineName: name, pipelineExecutionId: id, abandon: true, reason: 'audited' }],
      ['PipelineService', 'GetPipeline', { name }],
    ];
    for (const [service, method, request] of calls) await services.call(service, method, request, services.token(admin));

    const { events } = await services.call('IdentityService', 'ListAuditEvents', { subject: admin, pipeline: name, maxResults: 1000 }, root());
    const made = [['ExecutionService', 'StartPipelineExecution'], ...calls];
    expect(events.map((e: any) => [e.operation, e.outcome])).toEqual(made.map(([service, method]) => [`${service}/${method}`, 'ALLOWED']));
  });
});
