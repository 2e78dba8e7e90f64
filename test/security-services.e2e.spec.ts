import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';
import { operationCatalog, Role, rolePermissions, roles } from '@pipewright/security';
import { uniqueName } from '@pipewright/testing';
import { declaration, Outcome, SecuredServices } from './security-support';

jest.setTimeout(300_000);

// The services beside pipeline-definition and the orchestrator: they ask IdentityService.Authorize.
const served = ['ArtifactService', 'JobLogService', 'NotificationService'] as const;

function operations(): { service: string; method: string; requestStream: boolean; responseStream: boolean }[] {
  return served.flatMap((service) => {
    const { package: pkg, protoPath } = protoFiles[service];
    const definition = loadSync([...protoPath], protoLoaderOptions)[`${pkg}.${service}`] as unknown as Record<string, { requestStream: boolean; responseStream: boolean }>;
    return Object.entries(definition).map(([method, d]) => ({ service, method, requestStream: d.requestStream, responseStream: d.responseStream }));
  });
}

describe('authorization matrix of artifact, job-worker and notification (real processes, PIPEWRIGHT_AUTH=required)', () => {
  const services = new SecuredServices();
  const run = uniqueName('secs').replace(/_/g, '-').toLowerCase();
  const teamA = `${run}-a`;
  const teamB = `${run}-b`;
  const pipeline = `${run}-pipeline`;
  const member = (team: 'a' | 'b', role: Role) => `${run}-${team}-${role}`;
  const rootToken = () => services.token(services.root);

  beforeAll(async () => {
    await services.start(['artifact', 'job-worker', 'notification']);
    for (const team of [teamA, teamB]) await services.call('IdentityService', 'CreateTeam', { name: team }, rootToken());
    for (const role of roles) {
      await services.call('IdentityService', 'PutRoleBinding', { binding: { subject: member('a', role), team: teamA, role } }, rootToken());
      await services.call('IdentityService', 'PutRoleBinding', { binding: { subject: member('b', role), team: teamB, role } }, rootToken());
    }
    await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipeline) }, rootToken(), { 'pipewright-team': teamA });
  }, 240_000);

  afterAll(async () => {
    const exits = await services.stop();
    if (exits.some((e) => e.code !== 0)) console.log(services.logs());
    expect(exits.every((e) => e.code === 0)).toBe(true);
  });

  const request = {
    artifactId: 'no-such-artifact',
    pipelineExecutionId: '00000000-0000-0000-0000-000000000000',
    jobId: 'no-such-job',
    name: `${run}-rule`,
    pipelineName: pipeline,
    rule: { name: `${run}-rule`, pipelines: [pipeline] },
    deliveryId: 'no-such-delivery',
    metadata: { pipelineName: pipeline, pipelineExecutionId: '00000000-0000-0000-0000-000000000000', actionName: 'Build', name: 'out' },
  };

  const expected = (service: string, method: string, caller: { role?: Role; team?: 'own' | 'other' | 'system'; token: 'valid' | 'none' | 'expired' | 'forged' }): Outcome => {
    const policy = operationCatalog[`${service}/${method}`];
    if (!policy) throw new Error(`${service}/${method} has no entry in the operation catalog`);
    if (policy.scope === 'public') return 'ALLOWED';
    if (caller.token !== 'valid') return 'UNAUTHENTICATED';
    if (caller.team === 'system' || policy.scope === 'authenticated') return 'ALLOWED';
    if (policy.scope === 'system' || caller.team === 'other') return 'PERMISSION_DENIED';
    return rolePermissions[caller.role!].includes(policy.permission) ? 'ALLOWED' : 'PERMISSION_DENIED';
  };

  it.each(operations())('$service/$method answers each caller as its policy says', async ({ service, method, requestStream, responseStream }) => {
    const callers = [
      ...roles.flatMap((role) => [
        { label: `${role} of the owning team`, role, team: 'own' as const, token: 'valid' as const, bearer: services.token(member('a', role)) },
        { label: `${role} of another team`, role, team: 'other' as const, token: 'valid' as const, bearer: services.token(member('b', role)) },
      ]),
      { label: 'system administrator', team: 'system' as const, token: 'valid' as const, bearer: rootToken() },
      { label: 'no token', token: 'none' as const, bearer: undefined },
      { label: 'expired token', token: 'expired' as const, bearer: services.token(member('a', 'admin'), { expiresIn: -3600 }) },
      { label: 'forged token', token: 'forged' as const, bearer: services.forged(member('a', 'admin')) },
    ];
    const wrong: string[] = [];
    for (const caller of callers) {
      const want = expected(service, method, caller);
      const got =
        requestStream || responseStream
          ? await services.streamOutcome(service, method, request, { requestStream }, caller.bearer)
          : await services.outcome(service, method, request, caller.bearer);
      if (got.outcome !== want) wrong.push(`${caller.label}: expected ${want}, got ${got.outcome} (${got.detail})`);
    }
    expect(wrong).toEqual([]);
  });
});
