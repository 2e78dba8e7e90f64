import { Metadata, status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { authorize, Identity, operationCatalog, RoleBinding, visibility } from '@pipewright/security';
import { DomainError } from '@pipewright/decider';
import type { ExecutionContext } from '@nestjs/common';
import { lastValueFrom, of, throwError } from 'rxjs';
import { AccessDecider, AuditResultInterceptor, authorizeFirstMessage, callerAccess, CallToAuthorize, GrpcAuthGuard, provideResourceLookup, resourceOfCall } from './auth-guard';

const rpcError = (error: unknown) => (error as RpcException).getError();

describe('resource lookup of operations whose request names only an id', () => {
  beforeAll(() => {
    const artifacts: Record<string, string> = { 'a-of-shop': 'shop' };
    provideResourceLookup('ArtifactService', async (method, request) => {
      const { artifactId } = request as { artifactId: string };
      if (artifactId === 'db-down') throw new Error('connection refused');
      // A lookup may return more than where the resource is; only the pipeline counts.
      return artifacts[artifactId] ? { pipeline: artifacts[artifactId], jobId: 'smuggled' } : {};
    });
  });

  it('given a known artifact id, then the resource is its pipeline', async () => {
    await expect(resourceOfCall('ArtifactService', 'DownloadArtifact', operationCatalog['ArtifactService/DownloadArtifact'], { artifactId: 'a-of-shop' }, undefined)).resolves.toEqual({ pipeline: 'shop' });
  });

  it('given an unknown id, then the resource names no pipeline (only system-wide bindings count)', async () => {
    await expect(resourceOfCall('ArtifactService', 'StatArtifact', operationCatalog['ArtifactService/StatArtifact'], { artifactId: 'nope' }, undefined)).resolves.toEqual({});
  });

  it('given a failing lookup, then the call is UNAVAILABLE naming the operation', async () => {
    const error = await resourceOfCall('ArtifactService', 'StatArtifact', operationCatalog['ArtifactService/StatArtifact'], { artifactId: 'db-down' }, undefined).catch((e: unknown) => e);

    expect(rpcError(error)).toEqual({ code: status.UNAVAILABLE, message: 'cannot look up the resource of ArtifactService/StatArtifact: connection refused' });
  });

  it('given a service that registered no lookup, then the call is refused (fail closed)', async () => {
    const error = await resourceOfCall('JobLogService', 'GetJobLogs', operationCatalog['JobLogService/GetJobLogs'], { jobId: 'j1' }, undefined).catch((e: unknown) => e);

    expect(rpcError(error)).toEqual({ code: status.PERMISSION_DENIED, message: expect.stringContaining('JobLogService/GetJobLogs needs a resource lookup') });
  });

  it('given an operation with request fields, then the fields name the resource without a lookup', async () => {
    await expect(resourceOfCall('NotificationService', 'WatchEvents', operationCatalog['NotificationService/WatchEvents'], { pipelineName: 'shop' }, undefined)).resolves.toEqual({ pipeline: 'shop' });
  });
});

describe('authorizeFirstMessage (a client stream naming its resource in its first message)', () => {
  // The real policy over fixed bindings: the decision point's part without its tables.
  const bindings: Record<string, RoleBinding[]> = {
    'worker-a': [{ subject: 'worker-a', team: 'payments', role: 'worker' }],
    'viewer-a': [{ subject: 'viewer-a', team: 'payments', role: 'viewer' }],
  };
  const owners: Record<string, string> = { shop: 'payments' };
  const asked: CallToAuthorize[] = [];
  const decider: AccessDecider = {
    async decide(call) {
      asked.push(call);
      if (!call.token || !bindings[call.token]) return { decision: 'UNAUTHENTICATED', message: 'this call needs a bearer token' };
      const identity: Identity = { kind: 'user', subject: call.token };
      const resource = call.resource.pipeline ? { ...call.resource, team: owners[call.resource.pipeline] } : call.resource;
      const d = authorize(identity, bindings[call.token], `${call.service}/${call.method}`, call.policy, resource);
      return d.allowed ? { decision: 'ALLOWED', identity, visibility: visibility(bindings[call.token]), resource } : { decision: 'PERMISSION_DENIED', message: d.message, identity };
    },
    async recordResult() {
      throw new Error('not asked in these tests');
    },
  };
  new GrpcAuthGuard({ mode: 'required', decisionCacheMs: 0 }, () => decider, 'artifact');

  const call = (token?: string) => {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return { metadata, getPeer: () => '127.0.0.1:5555' } as never;
  };
  const upload = (pipelineName: string) => ({ metadata: { pipelineName, pipelineExecutionId: 'e1', actionName: 'Build', name: 'out' } });

  it('given a worker of the owning team, then the upload is allowed and the decision is attached to the call', async () => {
    const allowed = call('worker-a');
    await authorizeFirstMessage(allowed, 'ArtifactService', 'UploadArtifact', upload('shop'));

    expect(asked.at(-1)).toMatchObject({ service: 'ArtifactService', method: 'UploadArtifact', resource: { pipeline: 'shop' }, sourceAddress: '127.0.0.1:5555', servedBy: 'artifact' });
    expect(callerAccess((allowed as { metadata: Metadata }).metadata)).toMatchObject({ decision: 'ALLOWED', resource: { pipeline: 'shop', team: 'payments' } });
  });

  it('given a viewer, or a pipeline of nobody, then PERMISSION_DENIED; without a token UNAUTHENTICATED', async () => {
    const asViewer = await authorizeFirstMessage(call('viewer-a'), 'ArtifactService', 'UploadArtifact', upload('shop')).catch((e: unknown) => e);
    const elsewhere = await authorizeFirstMessage(call('worker-a'), 'ArtifactService', 'UploadArtifact', upload('cart')).catch((e: unknown) => e);
    const anonymous = await authorizeFirstMessage(call(), 'ArtifactService', 'UploadArtifact', upload('shop')).catch((e: unknown) => e);

    expect(rpcError(asViewer)).toEqual({ code: status.PERMISSION_DENIED, message: expect.stringContaining('it needs artifact.write') });
    expect(rpcError(elsewhere)).toEqual({ code: status.PERMISSION_DENIED, message: expect.stringContaining('on pipeline "cart"') });
    expect(rpcError(anonymous)).toEqual({ code: status.UNAUTHENTICATED, message: 'this call needs a bearer token' });
  });
});

describe('AuditResultInterceptor (the result of an audited call, reported once it ends)', () => {
  class PipelineNotFound extends DomainError {
    readonly code = 'NOT_FOUND' as const;
  }
  const reported: Array<[number, string, string]> = [];
  const decider: AccessDecider = {
    decide: () => Promise.reject(new Error('not asked in these tests')),
    async recordResult(position, result, message) {
      reported.push([position, result, message]);
    },
  };
  const interceptor = new AuditResultInterceptor(() => decider);
  /** A unary gRPC call as Nest hands it over (data, metadata, call), the guard's decision attached. */
  const context = (auditPosition?: number) => {
    const metadata = new Metadata();
    (metadata as unknown as Record<symbol, unknown>)[Symbol.for('pipewright.access')] = { decision: 'ALLOWED', identity: { kind: 'user', subject: 'ann' }, visibility: { teams: [], pipelines: [] }, resource: {}, auditPosition };
    const args = [{}, metadata, { getPeer: () => '127.0.0.1:5555' }];
    return { getType: () => 'rpc', getArgByIndex: (i: number) => args[i] } as unknown as ExecutionContext;
  };
  beforeEach(() => (reported.length = 0));

  it('given an audited call that succeeds, then OK is reported for its entry', async () => {
    await expect(lastValueFrom(interceptor.intercept(context(41), { handle: () => of({ pipeline: {} }) }))).resolves.toEqual({ pipeline: {} });
    expect(reported).toEqual([[41, 'OK', '']]);
  });

  it('given an audited call that fails, then its gRPC status name and message are reported, and the caller still gets the error', async () => {
    const failing = interceptor.intercept(context(42), { handle: () => throwError(() => new PipelineNotFound('pipeline shop does not exist')) });
    await expect(lastValueFrom(failing)).rejects.toBeInstanceOf(PipelineNotFound);
    expect(reported).toEqual([[42, 'NOT_FOUND', 'pipeline shop does not exist']]);
  });

  it('given a call without an audit entry (an allowed read, auth off), then nothing is reported', async () => {
    await lastValueFrom(interceptor.intercept(context(undefined), { handle: () => of('read') }));
    expect(reported).toEqual([]);
  });
});
