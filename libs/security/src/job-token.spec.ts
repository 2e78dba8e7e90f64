import { signJwt } from './jwt';
import { isJobToken, signJobToken, verifyJobToken } from './job-token';
import { operationCatalog, resourceOf } from './operation-catalog';
import { authorize, RoleBinding } from './policy';

const secret = Buffer.from('a-job-token-secret-of-32-characters!!');
const grant = { jobId: 'exec-1.Build.Compile.1', nonce: 'n-1', pipeline: 'shop', executionId: 'exec-1' };
const now = new Date('2026-12-02T10:00:00Z');
const inAnHour = new Date('2026-12-02T11:00:00Z');
const parse = (text: string) => JSON.parse(text);

describe('job tokens', () => {
  it('given a minted token, then it verifies as the job identity with its grant', () => {
    const token = signJobToken(grant, secret, inAnHour, now);

    expect(isJobToken(token)).toBe(true);
    expect(verifyJobToken(token, secret, now)).toEqual({ ok: true, identity: { kind: 'job', subject: `job:${grant.jobId}`, job: grant }, expires: inAnHour });
  });

  it('given an expired token, another secret, a tampered grant or no secret configured, then it is refused', () => {
    const token = signJobToken(grant, secret, inAnHour, now);
    const [header, , signature] = token.slice(4).split('.');
    const claims = JSON.parse(Buffer.from(token.slice(4).split('.')[1], 'base64url').toString());
    const tampered = `pwj_${header}.${Buffer.from(JSON.stringify({ ...claims, pipewright_job: { ...grant, pipeline: 'other' } })).toString('base64url')}.${signature}`;

    expect(verifyJobToken(token, secret, new Date('2026-12-02T12:00:00Z'))).toMatchObject({ ok: false, reason: 'expired' });
    expect(verifyJobToken(token, Buffer.from('another-secret-of-thirty-two-chars!!'), now)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyJobToken(tampered, secret, now)).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyJobToken(token, undefined, now)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('given a user JWT signed with the job secret, then it is not a job token', () => {
    const jwt = signJwt({ iss: 'pipewright:orchestrator', aud: 'pipewright:job', sub: 'job:x', exp: 2e9 }, { alg: 'HS256', secret });

    expect(isJobToken(jwt)).toBe(false);
    expect(verifyJobToken(`pwj_${jwt}`, secret, now)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

describe('what a job token may do', () => {
  const job = { kind: 'job' as const, subject: `job:${grant.jobId}`, job: grant };
  const none: RoleBinding[] = [];
  const decide = (operation: string, request: unknown, resource = resourceOf(operationCatalog[operation], request, parse)) =>
    authorize(job, none, operation, operationCatalog[operation], resource);

  it('given its own job and nonce, then it acknowledges, reads and reports that job', () => {
    expect(decide('JobService/AcknowledgeJob', { jobId: grant.jobId, nonce: 'n-1' })).toEqual({ allowed: true });
    expect(decide('JobService/GetJobDetails', { jobId: grant.jobId })).toEqual({ allowed: true });
    expect(decide('JobService/PutJobSuccessResult', { jobId: grant.jobId })).toEqual({ allowed: true });
    expect(decide('JobService/PutJobFailureResult', { jobId: grant.jobId })).toEqual({ allowed: true });
  });

  it('given another job or a stale nonce, then it is refused', () => {
    expect(decide('JobService/PutJobSuccessResult', { jobId: 'exec-1.Build.Compile.2' })).toMatchObject({ allowed: false, message: expect.stringContaining('scoped to job exec-1.Build.Compile.1') });
    expect(decide('JobService/AcknowledgeJob', { jobId: grant.jobId, nonce: 'n-0' })).toMatchObject({ allowed: false, message: expect.stringContaining('stale or replayed') });
  });

  it('given any operation not open to jobs, then it is refused whatever its resource', () => {
    for (const operation of ['JobService/PollForJobs', 'ExecutionService/StartPipelineExecution', 'PipelineService/GetPipeline', 'IdentityService/ListAuditEvents']) {
      expect(decide(operation, {}, { pipeline: 'shop', team: 'payments' })).toMatchObject({ allowed: false, message: expect.stringContaining('reaches only its own job') });
    }
  });

  it('given a pipeline-scoped operation open to jobs, then only its own pipeline is reachable', () => {
    const ownPipeline = { scope: 'pipeline' as const, permission: 'artifact.read' as const, job: 'own-pipeline' as const };

    expect(authorize(job, none, 'op', ownPipeline, { pipeline: 'shop' })).toEqual({ allowed: true });
    expect(authorize(job, none, 'op', ownPipeline, { pipeline: 'cart' })).toMatchObject({ allowed: false, message: expect.stringContaining('scoped to pipeline "shop"') });
  });
});
