import { credentials, loadPackageDefinition, Server, ServerUnaryCall, sendUnaryData, ServiceClientConstructor, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceName } from '@pipewright/contracts';
import {
  checkHealth,
  ClientChannel,
  clientChannel,
  GrpcClient,
  healthProtoPath,
  peerCertificateName,
  serverCredentials,
  startServiceProcess,
} from '@pipewright/service-kit';
import { freePort, uniqueName } from '@pipewright/testing';
import { Platform } from './platform';
import { declaration } from './security-support';
import { IssuedCertificate, TestCertificateAuthority } from './tls-certificates';

/** pipeline-definition and the orchestrator as processes that speak gRPC only over mutual TLS. */
describe('mutual TLS between Pipewright processes and their clients', () => {
  jest.setTimeout(240_000);

  const authority = TestCertificateAuthority.create('pipewright-ca');
  const intruders = TestCertificateAuthority.create('other-ca');
  // One certificate for the services, valid for the loopback addresses and a name the tests dial by override.
  const service = authority.issue('pipewright-service', ['DNS:localhost', 'IP:127.0.0.1', 'DNS:pipewright.internal']);
  const operator = authority.issue('operator-cli');
  const intruder = intruders.issue('intruder');
  let platform: Platform;
  const clients: GrpcClient[] = [];

  const client = (contract: ServiceName, channel: ClientChannel): GrpcClient => {
    const owner = contract === 'PipelineService' ? 'pipeline-definition' : 'orchestrator';
    const created = new GrpcClient(contract, platform.address(owner), 10_000, undefined, channel);
    clients.push(created);
    return created;
  };
  const signedBy = (ca: TestCertificateAuthority, issued: IssuedCertificate, serverName?: string) => clientChannel(ca.env(issued, serverName));

  beforeAll(async () => {
    platform = await Platform.create('mtls', { scratch: mkdtempSync(join(tmpdir(), 'pw-mtls-')), pipelines: [], env: authority.env(service) });
    try {
      await platform.start(['pipeline-definition', 'orchestrator']);
    } catch (error) {
      throw new Error(`${String(error)}\n${platform.logs()}`);
    }
  });

  afterAll(async () => {
    for (const created of clients) created.close();
    await platform?.stop();
  });

  it('serves a client whose certificate the CA signed, and the orchestrator reaches pipeline-definition over mTLS', async () => {
    // given a client holding a certificate of the services' CA
    const pipelines = client('PipelineService', signedBy(authority, operator));
    const executions = client('ExecutionService', signedBy(authority, operator));
    const name = uniqueName('mtls');
    await pipelines.call('CreatePipeline', { pipeline: declaration(name) });

    // when it lists pipelines and starts an execution (the orchestrator reads the declaration from pipeline-definition)
    const listed = await pipelines.call<{ pipelines: { name: string }[] }>('ListPipelines', { maxResults: 1000 });
    const started = await executions.call<{ pipelineExecutionId: string }>('StartPipelineExecution', { name });

    // then both answer, and the execution is there to read
    expect(listed.pipelines.map((p) => p.name)).toContain(name);
    expect(started.pipelineExecutionId).toMatch(/^[0-9a-f-]{36}$/);
    const state = await executions.call<{ pipelineName: string; stageStates: unknown[] }>('GetPipelineState', { name });
    expect(state.pipelineName).toBe(name);
    expect(state.stageStates).toHaveLength(3);
  });

  it('checks the server certificate against PIPEWRIGHT_TLS_SERVER_NAME instead of the address when it is set', async () => {
    const byName = client('PipelineService', signedBy(authority, operator, 'pipewright.internal'));
    await expect(byName.call('ListPipelines', { maxResults: 1 })).resolves.toHaveProperty('pipelines');

    const wrongName = client('PipelineService', signedBy(authority, operator, 'elsewhere.example'));
    await expect(wrongName.call('ListPipelines', { maxResults: 1 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('refuses a TLS client that presents no certificate', async () => {
    const anonymous = client('PipelineService', { credentials: credentials.createSsl(readFileSync(authority.ca)), options: {} });
    await expect(anonymous.call('ListPipelines', { maxResults: 1 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('refuses a client whose certificate another CA signed', async () => {
    // The intruder trusts the services' CA (so it accepts the server) but its own certificate chains elsewhere.
    const foreign = client('ExecutionService', { credentials: credentials.createSsl(readFileSync(authority.ca), readFileSync(intruder.key), readFileSync(intruder.cert)), options: {} });
    await expect(foreign.call('ListPipelineExecutions', { pipelineName: 'any' })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('is refused by a client that does not trust the services CA', async () => {
    const distrustful = client('PipelineService', signedBy(intruders, intruder));
    await expect(distrustful.call('ListPipelines', { maxResults: 1 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('refuses a plaintext client, health checks included', async () => {
    const plaintext = client('PipelineService', clientChannel({}));
    await expect(plaintext.call('ListPipelines', { maxResults: 1 })).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await expect(checkHealth(platform.address('orchestrator'), '', 5_000, clientChannel({}))).rejects.toMatchObject({ code: status.UNAVAILABLE });
    await expect(checkHealth(platform.address('orchestrator'), '', 5_000, signedBy(authority, operator))).resolves.toBe('SERVING');
  });

  it('will not start a service with half a TLS configuration, and says which variables are missing', async () => {
    const proc = startServiceProcess('pipeline-definition', { ...platform.env, PIPEWRIGHT_TLS_KEY_FILE: '', PIPEWRIGHT_TLS_CA_FILE: '' });
    const exited = await proc.exited;
    expect(exited.code).toBe(1);
    expect(proc.lines.join('\n')).toContain('missing PIPEWRIGHT_TLS_KEY_FILE, PIPEWRIGHT_TLS_CA_FILE');
  });

  it('tells a server handler the subject CN of the certificate its caller presented', async () => {
    // given a grpc-js server bound with the same server credentials runService uses, answering health with what it saw
    const seen: (string | undefined)[] = [];
    const definition = loadPackageDefinition(loadSync(healthProtoPath, { keepCase: false, enums: String, defaults: true })) as unknown as {
      grpc: { health: { v1: { Health: ServiceClientConstructor } } };
    };
    const server = new Server();
    server.addService(definition.grpc.health.v1.Health.service, {
      Check: (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<{ status: string }>) => {
        seen.push(peerCertificateName(call));
        callback(null, { status: 'SERVING' });
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, serverCredentials(authority.env(service)), (error) => (error ? reject(error) : resolve())));
    try {
      // when the operator's client calls it
      await expect(checkHealth(`127.0.0.1:${port}`, '', 5_000, signedBy(authority, operator))).resolves.toBe('SERVING');
    } finally {
      server.forceShutdown();
    }
    // then the handler read the operator's name from the certificate
    expect(seen).toEqual(['operator-cli']);
  });
});
