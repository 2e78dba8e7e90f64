import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';
import { Role, roles } from '@pipewright/security';
import { workspaceRoot } from '@pipewright/service-kit';
import { testEnv, uniqueName } from '@pipewright/testing';
import { eventually, JobWorkerDouble } from '../services/orchestrator/test/support';
import { declaration, expectedOutcome, MatrixTeams, SecuredServices } from './security-support';

jest.setTimeout(300_000);

// The services these two processes serve; the matrix walks every operation their protos define.
const served = ['PipelineService', 'IdentityService', 'SecretService', 'ExecutionService', 'JobService'] as const;

function operations(): { service: string; method: string }[] {
  return served.flatMap((service) => {
    const { package: pkg, protoPath } = protoFiles[service];
    const definition = loadSync([...protoPath], protoLoaderOptions)[`${pkg}.${service}`] as unknown as Record<string, unknown>;
    return Object.keys(definition).map((method) => ({ service, method }));
  });
}

describe('security (real pipeline-definition and orchestrator with PIPEWRIGHT_AUTH=required)', () => {
  const services = new SecuredServices();
  const teams = new MatrixTeams(services, 'sec');
  const { run, teamA, teamB } = teams;
  const member = (team: 'a' | 'b', role: Role) => teams.member(team, role);
  const rootToken = () => teams.rootToken();

  let worker: JobWorkerDouble;

  beforeAll(async () => {
    worker = new JobWorkerDouble(testEnv().kafkaBrokers, uniqueName('security-test-worker'));
    await worker.start();
    await services.start();
    await teams.create();
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    const exits = await services.stop();
    if (exits.some((e) => e.code !== 0)) console.log(services.logs());
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
  });

  describe('authorization matrix: every operation × role × own team / other team / no, expired and forged token', () => {
    const pipeline = `${run}-matrix`;

    beforeAll(async () => {
      await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipeline) }, rootToken(), { 'pipewright-team': teamA });
    });

    // Names the matrix pipeline and team A wherever an operation looks for its resource; mutations
    // that the policy allows run for real, on harmless or invalid input.
    const requestFor = (service: string, method: string) => ({
      name: method === 'CreateTeam' ? uniqueName('t').replace(/_/g, '-').toLowerCase() : pipeline,
      pipelineName: pipeline,
      resourceArn: `arn:pipewright:codepipeline:::${pipeline}`,
      team: teamA,
      subject: `${run}-junk`,
      tokenId: 'no-such-token',
      ttlSeconds: '60',
      binding: { subject: `${run}-junk`, team: teamA, role: 'viewer' },
      webhook: { name: `${run}-hook`, targetPipeline: pipeline, targetAction: 'Checkout', authentication: 'UNAUTHENTICATED' },
      pipeline: method === 'UpdatePipeline' ? { name: pipeline } : { name: `${pipeline}-invalid` },
      operation: 'PipelineService/GetPipeline',
      jobId: 'no-such-job',
      nonce: 'no-such-nonce',
      maxBatchSize: 1,
      actionTypeId: { category: 'Build', owner: 'Custom', provider: `${run}-nothing`, version: '1' },
      result: { status: 'Approved', summary: 'matrix' },
      token: 'no-such-approval-token',
      stageName: 'Build',
      actionName: 'Build',
      transitionType: 'Inbound',
      reason: 'matrix',
      pipelineExecutionId: '00000000-0000-0000-0000-000000000000',
      // SecretService: a value for PutSecret, a name ResolveJobSecrets looks up.
      value: 'matrix-secret-value',
      names: ['matrix-secret'],
      service,
    });


    it.each(operations())('$service/$method answers each caller as its policy says', async ({ service, method }) => {
      const wrong: string[] = [];
      for (const caller of teams.callers()) {
        const want = expectedOutcome(service, method, caller);
        // PollForJobs waits for work when allowed: a short deadline ends it (DEADLINE_EXCEEDED counts as allowed).
        const deadlineMs = method === 'PollForJobs' ? 3_000 : 20_000;
        const got = await services.outcome(service, method, requestFor(service, method), caller.bearer, method === 'CreatePipeline' ? { 'pipewright-team': teamA } : {}, deadlineMs);
        if (got.outcome !== want) wrong.push(`${caller.label}: expected ${want}, got ${got.outcome} (${got.detail})`);
      }
      expect(wrong).toEqual([]);
    });

    it('says why a call is refused', async () => {
      await expect(services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline })).rejects.toMatchObject({ details: expect.stringContaining('needs a bearer token') });
      await expect(services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline }, services.token(member('a', 'viewer'), { expiresIn: -3600 }))).rejects.toMatchObject({
        details: expect.stringContaining('expired'),
      });
      await expect(services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline }, services.forged(member('a', 'viewer')))).rejects.toMatchObject({
        details: 'the token signature is invalid',
      });
      await expect(services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline }, services.token(member('a', 'viewer')))).rejects.toMatchObject({
        details: expect.stringContaining(`user ${member('a', 'viewer')} may not call ExecutionService/StartPipelineExecution on pipeline "${pipeline}": it needs execution.operate (role operator, admin)`),
      });
    });
  });

  describe('isolation: team B cannot see team A', () => {
    const pipeline = `${run}-isolated`;
    let executionId: string;

    beforeAll(async () => {
      // Created by team A's admin without naming a team: owned by the admin's only team.
      await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipeline) }, services.token(member('a', 'admin')));
      ({ pipelineExecutionId: executionId } = await services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline }, services.token(member('a', 'operator'))));
    });

    it('refuses every get of team A pipeline and execution to each role of team B', async () => {
      const reads: [string, string, object][] = [
        ['PipelineService', 'GetPipeline', { name: pipeline }],
        ['PipelineService', 'ListPipelineVersions', { name: pipeline }],
        ['PipelineService', 'ListTagsForResource', { resourceArn: pipeline }],
        ['ExecutionService', 'GetPipelineState', { name: pipeline }],
        ['ExecutionService', 'GetPipelineExecution', { pipelineName: pipeline, pipelineExecutionId: executionId }],
        ['ExecutionService', 'ListPipelineExecutions', { pipelineName: pipeline }],
        ['ExecutionService', 'ListActionExecutions', { pipelineName: pipeline }],
        ['ExecutionService', 'ListPipelineExecutions', {}],
      ];
      for (const role of roles) {
        for (const [service, method, request] of reads) {
          expect({ role, method, ...(await services.outcome(service, method, request, services.token(member('b', role)))) }).toMatchObject({ role, method, outcome: 'PERMISSION_DENIED' });
        }
      }
    });

    it('lists team A pipeline to team A and not to team B', async () => {
      const names = async (subject: string) => {
        const all: string[] = [];
        let nextToken = '';
        do {
          const page = await services.call('PipelineService', 'ListPipelines', { nextToken, maxResults: 1000 }, services.token(subject));
          all.push(...page.pipelines.map((p: { name: string }) => p.name));
          nextToken = page.nextToken;
        } while (nextToken);
        return all;
      };

      expect(await names(member('a', 'viewer'))).toContain(pipeline);
      for (const role of roles) expect(await names(member('b', role))).not.toContain(pipeline);
      const executions = await services.call('ExecutionService', 'ListPipelineExecutions', { pipelineName: pipeline }, services.token(member('a', 'viewer')));
      expect(executions.pipelineExecutionSummaries.map((e: { pipelineExecutionId: string }) => e.pipelineExecutionId)).toContain(executionId);
    });

    it('lists a team its own teams only', async () => {
      const { teams } = await services.call('IdentityService', 'ListTeams', {}, services.token(member('b', 'viewer')));

      expect(teams.map((t: { name: string }) => t.name)).toEqual([teamB]);
    });
  });

  describe('the CLI', () => {
    const cli = (args: string[], env: Record<string, string> = {}) => {
      const r = spawnSync(join(workspaceRoot, 'node_modules/.bin/pipewright'), [...args, '--endpoint', `pipeline-definition=${services.definitionAddress}`, '--output', 'json'], {
        encoding: 'utf8',
        env: { ...process.env, PIPEWRIGHT_CONFIG: '', PIPEWRIGHT_TOKEN: '', ...env },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it('sends PIPEWRIGHT_TOKEN or --auth-token as the bearer token', () => {
      const viaEnv = cli(['pipeline', 'list'], { PIPEWRIGHT_TOKEN: services.token(member('a', 'viewer')) });
      expect(viaEnv).toMatchObject({ code: 0 });
      expect(viaEnv.stdout).toContain(`${run}-isolated`);
      const viaFlag = cli(['pipeline', 'list', '--auth-token', services.token(member('b', 'viewer'))]);
      expect(viaFlag).toMatchObject({ code: 0 });
      expect(viaFlag.stdout).not.toContain(`${run}-isolated`);
      const without = cli(['pipeline', 'list']);
      expect(without.code).toBe(7);
      expect(without.stderr).toContain('bearer token');
    });
  });

  describe('API tokens', () => {
    it('authenticates with an issued token until it is revoked', async () => {
      const subject = `${run}-deployer`;
      await services.call('IdentityService', 'PutRoleBinding', { binding: { subject, team: teamA, role: 'viewer' } }, rootToken());
      const issued = await services.call('IdentityService', 'CreateApiToken', { subject, team: teamA, description: 'ci', ttlSeconds: '3600' }, services.token(member('a', 'admin')));

      expect(issued.token).toMatch(/^pwt_/);
      const me = await services.call('IdentityService', 'WhoAmI', {}, issued.token);
      expect(me.identity).toEqual({ kind: 'service-account', subject, job: null });
      expect((await services.outcome('ExecutionService', 'ListPipelineExecutions', { pipelineName: `${run}-isolated` }, issued.token)).outcome).toBe('ALLOWED');

      await services.call('IdentityService', 'RevokeApiToken', { tokenId: issued.tokenId, team: teamA }, services.token(member('a', 'admin')));
      await expect(services.call('PipelineService', 'ListPipelines', {}, issued.token)).rejects.toMatchObject({ code: 16, details: `the API token ${issued.tokenId} was revoked` });
    });

    it('refuses a token another team admin asks to issue or revoke', async () => {
      expect((await services.outcome('IdentityService', 'CreateApiToken', { subject: 'x', team: teamA }, services.token(member('b', 'admin')))).outcome).toBe('PERMISSION_DENIED');
    });

    it('refuses a team admin a token for a subject bound elsewhere (the system administrator, another team member)', async () => {
      for (const subject of [services.root, member('b', 'viewer')]) {
        await expect(services.call('IdentityService', 'CreateApiToken', { subject, team: teamA }, services.token(member('a', 'admin')))).rejects.toMatchObject({
          code: 7,
          details: expect.stringContaining('only a system administrator may issue its API tokens'),
        });
      }
    });
  });

  describe('audit log', () => {
    /** A team A pipeline of its own and an operator bound on team A: whose calls a test then reads back. */
    const operatorWithPipeline = async (name: string) => {
      const pipeline = `${run}-${name}`;
      const subject = `${run}-${name}-operator`;
      await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipeline) }, rootToken(), { 'pipewright-team': teamA });
      await services.call('IdentityService', 'PutRoleBinding', { binding: { subject, team: teamA, role: 'operator' } }, rootToken());
      return { pipeline, subject, token: services.token(subject) };
    };

    it('holds the calls of one caller in order, with identity, operation, resource, source, time and outcome, paged', async () => {
      const { pipeline, subject, token } = await operatorWithPipeline('audited');
      const started = new Date(Date.now() - 1000);

      await services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline }, token);
      await services.outcome('PipelineService', 'DeletePipeline', { name: pipeline }, token);
      await services.call('ExecutionService', 'DisableStageTransition', { pipelineName: pipeline, stageName: 'Build', transitionType: 'Inbound', reason: 'freeze' }, token);
      // Allowed, and then fails in the orchestrator: no such execution.
      const stop = await services.outcome('ExecutionService', 'StopPipelineExecution', { pipelineName: pipeline, pipelineExecutionId: '00000000-0000-0000-0000-000000000000', reason: 'none' }, token);
      expect(stop.detail).toMatch(/^NOT_FOUND: /);
      await services.call('PipelineService', 'GetPipeline', { name: pipeline }, token);
      await services.outcome('IdentityService', 'ListAuditEvents', {}, token);

      const list = (request: object) => services.call('IdentityService', 'ListAuditEvents', request, rootToken());
      const { events } = await list({ subject });
      expect(events.map((e: any) => [e.operation, e.outcome, e.pipeline, e.service])).toEqual([
        ['ExecutionService/StartPipelineExecution', 'ALLOWED', pipeline, 'orchestrator'],
        ['PipelineService/DeletePipeline', 'PERMISSION_DENIED', pipeline, 'pipeline-definition'],
        ['ExecutionService/DisableStageTransition', 'ALLOWED', pipeline, 'orchestrator'],
        ['ExecutionService/StopPipelineExecution', 'ALLOWED', pipeline, 'orchestrator'],
        ['IdentityService/ListAuditEvents', 'PERMISSION_DENIED', '', 'pipeline-definition'],
      ]);
      for (const event of events) {
        expect(event.identity).toEqual({ kind: 'user', subject, job: null });
        expect(event.sourceAddress).not.toBe('');
        expect(Number(event.time.seconds) * 1000).toBeGreaterThanOrEqual(started.getTime() - 1000);
      }
      expect(events[1].message).toContain('needs pipeline.write');

      const denied = await list({ subject, outcome: 'PERMISSION_DENIED' });
      expect(denied.events.map((e: any) => e.operation)).toEqual(['PipelineService/DeletePipeline', 'IdentityService/ListAuditEvents']);
      const byOperation = await list({ subject, operation: 'DisableStageTransition' });
      expect(byOperation.events).toHaveLength(1);
      const first = await list({ subject, maxResults: 4 });
      const rest = await list({ subject, maxResults: 4, nextToken: first.nextToken });
      expect([...first.events, ...rest.events].map((e: any) => e.position)).toEqual(events.map((e: any) => e.position));
      expect(rest.nextToken).toBe('');
      const later = await list({ subject, after: { seconds: String(Math.floor(Date.now() / 1000) + 60), nanos: 0 } });
      expect(later.events).toEqual([]);
      await expect(list({ maxResults: 5000 })).rejects.toMatchObject({ code: 3, details: expect.stringContaining('max_results') });
    });

    it('adds to each allowed mutation the result its service reported; only a service reports, once', async () => {
      const { pipeline, subject, token } = await operatorWithPipeline('results');
      await services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline }, token);
      await services.outcome('ExecutionService', 'StopPipelineExecution', { pipelineName: pipeline, pipelineExecutionId: '00000000-0000-0000-0000-000000000000', reason: 'none' }, token);
      await services.outcome('PipelineService', 'DeletePipeline', { name: pipeline }, token);

      const list = (request: object) => services.call('IdentityService', 'ListAuditEvents', request, rootToken());
      // Reported once each call has ended, after its answer: eventually there.
      const results = async () => (await list({ subject })).events.map((e: any) => [e.operation, e.outcome, e.result, e.resultMessage]);
      await eventually('the results of the operator\'s calls', async () => (await results()).every(([, outcome, result]: string[]) => outcome !== 'ALLOWED' || result !== ''));
      expect(await results()).toEqual([
        ['ExecutionService/StartPipelineExecution', 'ALLOWED', 'OK', ''],
        ['ExecutionService/StopPipelineExecution', 'ALLOWED', 'NOT_FOUND', expect.stringMatching(/./)],
        // Refused: no result, the call never ran.
        ['PipelineService/DeletePipeline', 'PERMISSION_DENIED', '', ''],
      ]);
      // pipeline-definition reports its own calls' results too (the root's CreatePipeline, the last one for team A).
      const created = async () => (await list({ subject: services.root, team: teamA, operation: 'CreatePipeline', maxResults: 1000 })).events.at(-1);
      await eventually('the CreatePipeline result', async () => (await created())?.result === 'OK');
      expect((await list({ subject, result: 'NOT_FOUND' })).events.map((e: any) => e.operation)).toEqual(['ExecutionService/StopPipelineExecution']);

      const [started] = (await list({ subject, operation: 'StartPipelineExecution' })).events;
      const report = (bearer: string, position = started.position) =>
        services.call('IdentityService', 'RecordOperationResult', { auditPosition: position, result: 'INTERNAL', message: 'rewritten' }, undefined, { 'pipewright-service-authorization': `Bearer ${bearer}` });
      await expect(report(token)).rejects.toMatchObject({ code: 7, details: expect.stringContaining('only a Pipewright service') });
      await expect(report(services.serviceToken('orchestrator'))).rejects.toMatchObject({ code: 9, details: expect.stringContaining('already has its result') });
      await expect(report(services.serviceToken('orchestrator'), '999999999999')).rejects.toMatchObject({ code: 5 });
      await expect(services.call('IdentityService', 'RecordOperationResult', { auditPosition: started.position, result: 'FINE' })).rejects.toMatchObject({ code: 3, details: expect.stringContaining('result must be OK or a gRPC status name') });
      expect((await list({ subject, operation: 'StartPipelineExecution' })).events[0]).toMatchObject({ result: 'OK', resultMessage: '' });
    });

    it('records calls without a valid token', async () => {
      const pipeline = `${run}-unauthenticated-${Date.now()}`;
      await services.outcome('ExecutionService', 'StartPipelineExecution', { name: pipeline });
      const { events } = await services.call('IdentityService', 'ListAuditEvents', { pipeline, outcome: 'UNAUTHENTICATED' }, rootToken());

      expect(events).toEqual([expect.objectContaining({ operation: 'ExecutionService/StartPipelineExecution', identity: null, message: expect.stringContaining('bearer token'), sourceAddress: expect.stringMatching(/./) })]);
    });
  });

  describe('secrets: values reach the job token of a team pipeline only', () => {
    const pipeline = `${run}-secrets`;

    beforeAll(async () => {
      await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipeline) }, rootToken(), { 'pipewright-team': teamA });
      await services.call('SecretService', 'PutSecret', { team: teamA, name: 'api-key', value: 'team-a-value' }, services.token(member('a', 'admin')));
    });

    it('answers the job token of its own job with the owning team\'s value, and refuses everyone else', async () => {
      const jobId = `job-${run}`;
      const resolved = await services.call('SecretService', 'ResolveJobSecrets', { jobId, names: ['api-key'] }, services.jobToken(pipeline, jobId));
      expect(resolved.values).toEqual({ 'api-key': 'team-a-value' });

      const otherJob = await services.outcome('SecretService', 'ResolveJobSecrets', { jobId: 'another-job', names: ['api-key'] }, services.jobToken(pipeline, jobId));
      expect(otherJob).toEqual({ outcome: 'PERMISSION_DENIED', detail: expect.stringContaining(`it is scoped to job ${jobId}`) });
      const admin = await services.outcome('SecretService', 'ResolveJobSecrets', { jobId, pipelineName: pipeline, names: ['api-key'] }, rootToken());
      expect(admin).toEqual({ outcome: 'PERMISSION_DENIED', detail: expect.stringContaining('may not read secret values') });
      // A pipeline named in the request does not count: the token's own pipeline (unowned here) does.
      const elsewhere = await services.outcome('SecretService', 'ResolveJobSecrets', { jobId, pipelineName: pipeline, names: ['api-key'] }, services.jobToken(`${run}-unowned`, jobId));
      expect(elsewhere).toEqual({ outcome: 'ALLOWED', detail: 'NOT_FOUND: secret api-key does not exist in team default' });
    });

    it('lists names to team A viewers, without values, and not to team B', async () => {
      const { secrets } = await services.call('SecretService', 'ListSecrets', { team: teamA }, services.token(member('a', 'viewer')));
      expect(secrets.map((s: { name: string }) => s.name)).toContain('api-key');
      expect(JSON.stringify(secrets)).not.toContain('team-a-value');
      expect((await services.outcome('SecretService', 'ListSecrets', { team: teamA }, services.token(member('b', 'admin')))).outcome).toBe('PERMISSION_DENIED');
    });
  });

  describe('approvals', () => {
    it('record who approved', async () => {
      const pipeline = `${run}-approved`;
      await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipeline) }, rootToken(), { 'pipewright-team': teamA });
      const { pipelineExecutionId } = await services.call('ExecutionService', 'StartPipelineExecution', { name: pipeline }, services.token(member('a', 'operator')));
      for (const action of ['Checkout', 'Build']) {
        const job = await worker.job(pipeline, action);
        await worker.acknowledge(job);
        await worker.succeed(job);
      }
      const viewer = services.token(member('a', 'viewer'));
      const token = await eventually('the approval token', async () => {
        const state = await services.call('ExecutionService', 'GetPipelineState', { name: pipeline }, viewer);
        return state.stageStates.find((s: any) => s.stageName === 'Approve')?.actionStates[0]?.latestExecution?.token || undefined;
      });
      const approval = { pipelineName: pipeline, stageName: 'Approve', actionName: 'Release', token, result: { status: 'Approved', summary: 'ship it' } };
      expect((await services.outcome('ExecutionService', 'PutApprovalResult', approval, services.token(member('a', 'operator')))).outcome).toBe('PERMISSION_DENIED');

      await services.call('ExecutionService', 'PutApprovalResult', approval, services.token(member('a', 'approver')));

      const approved = await eventually('the approval recorded', async () => {
        const state = await services.call('ExecutionService', 'GetPipelineState', { name: pipeline }, viewer);
        const latest = state.stageStates.find((s: any) => s.stageName === 'Approve')?.actionStates[0]?.latestExecution;
        return latest?.status === 'Succeeded' ? latest : undefined;
      });
      expect(approved.lastUpdatedBy).toBe(member('a', 'approver'));
      const execution = await services.call('ExecutionService', 'GetPipelineExecution', { pipelineName: pipeline, pipelineExecutionId }, viewer);
      expect(execution.pipelineExecution.status).toBe('Succeeded');
    });
  });
});
