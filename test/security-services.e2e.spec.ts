import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';
import { operationCatalog, Role, rolePermissions } from '@pipewright/security';
import { declaration, MatrixTeams, Outcome, SecuredServices } from './security-support';

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
  const teams = new MatrixTeams(services, 'secs');
  const { run, teamA } = teams;
  const pipeline = `${run}-pipeline`;
  const rootToken = () => teams.rootToken();

  beforeAll(async () => {
    await services.start(['artifact', 'job-worker', 'notification']);
    await teams.create();
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
    const wrong: string[] = [];
    for (const caller of teams.callers()) {
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
