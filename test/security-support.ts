import { Metadata, status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceName } from '@pipewright/contracts';
import { JobGrant, operationCatalog, Role, rolePermissions, roles, signJobToken, signJwt } from '@pipewright/security';
import { GrpcClient, serviceEnvName, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { freePort, testEnv, uniqueName } from '@pipewright/testing';
import { ACTION_TYPE, gitSourceStage } from './declarations';

export type Outcome = 'ALLOWED' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED';

export const issuer = 'https://issuer.pipewright.test';
export const audience = 'pipewright';

/** Pipewright services as real processes with PIPEWRIGHT_AUTH=required and an HS256 issuer. */
export class SecuredServices {
  readonly secret = Buffer.from(randomBytes(32).toString('hex'));
  /** Signs job tokens (the orchestrator mints them; tests forge and replay them). */
  readonly jobSecret = Buffer.from(randomBytes(32).toString('hex'));
  readonly root = uniqueName('root');
  private readonly processes: ServiceProcess[] = [];
  readonly clients = new Map<string, GrpcClient>();
  definitionAddress = '';

  /**
   * pipeline-definition (always: it decides) and the given services, each on free ports. `workerPipelines`:
   * the pipelines (a `prefix-*` pattern) whose jobs the job-worker takes, so it runs no other suite's.
   */
  /** `env`: more settings for every process (e.g. PIPEWRIGHT_AUDIT_READS). */
  async start(others: readonly ('orchestrator' | 'artifact' | 'job-worker' | 'notification')[] = ['orchestrator'], { workerPipelines = '', env: extra = {} as Record<string, string> } = {}): Promise<void> {
    const env = testEnv();
    const schema = uniqueName('security_e2e');
    const names = ['pipeline-definition', ...others] as const;
    const ports = new Map<string, { grpc: number; http: number }>();
    for (const name of names) ports.set(name, { grpc: await freePort(), http: await freePort() });
    const addresses = Object.fromEntries(names.map((name) => [serviceEnvName(name, 'ADDRESS'), `127.0.0.1:${ports.get(name)!.grpc}`]));
    const common = {
      DATABASE_URL: env.databaseUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      ...addresses,
      PIPEWRIGHT_AUTH: 'required',
      PIPEWRIGHT_JWT_ISSUER: issuer,
      PIPEWRIGHT_JWT_AUDIENCE: audience,
      PIPEWRIGHT_JWT_HS256_SECRET: this.secret.toString('utf8'),
      PIPEWRIGHT_JOB_TOKEN_SECRET: this.jobSecret.toString('utf8'),
      ...extra,
    };
    const own: Record<string, Record<string, string>> = {
      'pipeline-definition': { PIPEWRIGHT_BOOTSTRAP_ADMIN: this.root, PIPEWRIGHT_SECRETS_KEY: randomBytes(32).toString('hex') },
      orchestrator: { PIPEWRIGHT_ORCHESTRATOR_SCHEMA: schema, PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: schema },
      artifact: { PIPEWRIGHT_ARTIFACT_ROOT: mkdtempSync(join(tmpdir(), 'pw-sec-artifacts-')) },
      'job-worker': {
        PIPEWRIGHT_JOB_WORKER_GROUP: `${schema}_worker`,
        PIPEWRIGHT_JOB_WORKER_SCHEMA: `${schema}_worker`,
        PIPEWRIGHT_JOB_LOG_ROOT: mkdtempSync(join(tmpdir(), 'pw-sec-logs-')),
        PIPEWRIGHT_WORKSPACE_ROOT: mkdtempSync(join(tmpdir(), 'pw-sec-workspaces-')),
        ...(workerPipelines ? { PIPEWRIGHT_JOB_WORKER_PIPELINES: workerPipelines } : {}),
      },
      notification: {
        PIPEWRIGHT_NOTIFICATION_SCHEMA: `${schema}_notif`,
        PIPEWRIGHT_NOTIFICATION_GROUP_ID: `${schema}_notif`,
        PIPEWRIGHT_NOTIFICATION_START_FROM: 'latest',
        // Deliveries to a receiver of the test on loopback.
        PIPEWRIGHT_NOTIFICATION_ALLOW_PRIVATE_TARGETS: 'true',
      },
    };
    for (const name of names) {
      const { grpc, http } = ports.get(name)!;
      this.processes.push(startServiceProcess(name, { ...common, ...own[name], [serviceEnvName(name, 'PORT')]: String(grpc), [serviceEnvName(name, 'HTTP_PORT')]: String(http) }));
    }
    await Promise.all(this.processes.map((proc, i) => waitUntilServing(addresses[serviceEnvName(names[i], 'ADDRESS')], proc, 120_000)));
    this.definitionAddress = addresses.PIPEWRIGHT_PIPELINE_DEFINITION_ADDRESS;
    const served: Record<string, ServiceName[]> = {
      'pipeline-definition': ['PipelineService', 'IdentityService', 'SecretService'],
      orchestrator: ['ExecutionService', 'JobService'],
      artifact: ['ArtifactService'],
      'job-worker': ['JobLogService'],
      notification: ['NotificationService'],
    };
    for (const name of names) for (const service of served[name]) this.clients.set(service, new GrpcClient(service, addresses[serviceEnvName(name, 'ADDRESS')]));
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }[]> {
    for (const client of this.clients.values()) client.close();
    return Promise.all([...this.processes].reverse().map((proc) => proc.stop()));
  }

  logs(): string {
    return this.processes.flatMap((proc) => proc.lines.slice(-30)).join('\n');
  }

  /** A JWT for the subject from the configured issuer; `expiresIn` negative gives an expired one. */
  token(subject: string, { expiresIn = 600, secret = this.secret }: { expiresIn?: number; secret?: Buffer } = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return signJwt({ iss: issuer, aud: audience, sub: subject, iat: now, exp: now + expiresIn }, { alg: 'HS256', secret });
  }

  /** A service account's JWT, as a Pipewright service mints its own (`service:<name>`). */
  serviceToken(service: string): string {
    const now = Math.floor(Date.now() / 1000);
    return signJwt({ iss: issuer, aud: audience, sub: `service:${service}`, pipewright_kind: 'service-account', iat: now, exp: now + 600 }, { alg: 'HS256', secret: this.secret });
  }

  /** A job token as the orchestrator mints it, for a job of `pipeline`. */
  jobToken(pipeline: string, jobId = `job-${randomBytes(6).toString('hex')}`): string {
    const grant: JobGrant = { jobId, nonce: randomBytes(8).toString('hex'), pipeline, executionId: randomBytes(8).toString('hex') };
    return signJobToken(grant, this.jobSecret, new Date(Date.now() + 600_000), new Date());
  }

  forged(subject: string): string {
    return this.token(subject, { secret: Buffer.from(randomBytes(32).toString('hex')) });
  }

  /** One unary call with an optional bearer token and extra metadata. */
  call<T = any>(service: string, method: string, request: unknown, token?: string, extra: Record<string, string> = {}, deadlineMs = 20_000): Promise<T> {
    const client = this.clients.get(service);
    if (!client) throw new Error(`no client for ${service}`);
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    return new Promise((resolve, reject) =>
      (client.stub as any)[method](request, metadata, { deadline: Date.now() + deadlineMs }, (error: Error | null, response: T) => (error ? reject(error) : resolve(response))),
    );
  }

  /** Every message of a server stream and how it ended (code 0: OK; a watch that stays open ends at its deadline). */
  stream<T = any>(service: string, method: string, request: unknown, token?: string, deadlineMs = 20_000): Promise<{ messages: T[]; code: number; details: string }> {
    const client = this.clients.get(service);
    if (!client) throw new Error(`no client for ${service}`);
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    const messages: T[] = [];
    return new Promise((resolve) => {
      const call = (client.stub as any)[method](request, metadata, { deadline: Date.now() + deadlineMs });
      call.on('data', (m: T) => messages.push(m));
      call.on('error', (error: { code: number; details: string }) => resolve({ messages, code: error.code, details: error.details }));
      call.on('end', () => resolve({ messages, code: status.OK, details: '' }));
    });
  }

  /** Uploads one artifact (metadata, then the bytes as one chunk); resolves the stored artifact. */
  upload(metadata: Record<string, string>, bytes: Buffer, token?: string): Promise<{ artifactId: string; pipelineName: string; sha256: string }> {
    const client = this.clients.get('ArtifactService');
    if (!client) throw new Error('no client for ArtifactService');
    const headers = new Metadata();
    if (token) headers.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) => {
      const call = (client.stub as any).UploadArtifact(headers, { deadline: Date.now() + 20_000 }, (error: Error | null, response: { artifact: any }) =>
        error ? reject(error) : resolve(response.artifact),
      );
      call.on('error', () => undefined);
      call.write({ metadata });
      call.write({ chunk: bytes });
      call.end();
    });
  }

  /**
   * What the auth layer answered on a streaming call: a server stream ends or fails (an allowed watch
   * that stays open ends at the deadline), a client stream sends `request` as its one message.
   */
  streamOutcome(service: string, method: string, request: unknown, kind: { requestStream: boolean }, token?: string, deadlineMs = 3_000): Promise<{ outcome: Outcome; detail: string }> {
    const client = this.clients.get(service);
    if (!client) throw new Error(`no client for ${service}`);
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    const classify = (error: { code?: number; details?: string } | null): { outcome: Outcome; detail: string } => {
      if (!error) return { outcome: 'ALLOWED', detail: 'OK' };
      if (error.code === status.UNAUTHENTICATED) return { outcome: 'UNAUTHENTICATED', detail: error.details ?? '' };
      if (error.code === status.PERMISSION_DENIED) return { outcome: 'PERMISSION_DENIED', detail: error.details ?? '' };
      return { outcome: 'ALLOWED', detail: `${status[error.code ?? 2]}: ${error.details ?? ''}` };
    };
    const stub = client.stub as any;
    return new Promise((resolve) => {
      if (kind.requestStream) {
        const call = stub[method](metadata, { deadline: Date.now() + deadlineMs }, (error: { code?: number; details?: string } | null) => resolve(classify(error)));
        call.on('error', () => undefined);
        call.write(request);
        call.end();
        return;
      }
      const call = stub[method](request, metadata, { deadline: Date.now() + deadlineMs });
      call.on('data', () => undefined);
      call.on('error', (error: { code?: number; details?: string }) => resolve(classify(error)));
      call.on('end', () => resolve(classify(null)));
    });
  }

  /** What the auth layer answered: a refusal code, or ALLOWED for anything else (a handler's own error included). */
  async outcome(service: string, method: string, request: unknown, token?: string, extra: Record<string, string> = {}, deadlineMs = 20_000): Promise<{ outcome: Outcome; detail: string }> {
    try {
      await this.call(service, method, request, token, extra, deadlineMs);
      return { outcome: 'ALLOWED', detail: 'OK' };
    } catch (error) {
      const e = error as { code?: number; details?: string };
      if (e.code === status.UNAUTHENTICATED) return { outcome: 'UNAUTHENTICATED', detail: e.details ?? '' };
      if (e.code === status.PERMISSION_DENIED) return { outcome: 'PERMISSION_DENIED', detail: e.details ?? '' };
      return { outcome: 'ALLOWED', detail: `${status[e.code ?? 2]}: ${e.details ?? ''}` };
    }
  }
}

export function declaration(name: string) {
  return {
    name,
    stages: [
      gitSourceStage('/tmp/any-repository', { output: 'Src' }),
      { name: 'Build', actions: [{ name: 'Build', actionTypeId: ACTION_TYPE.noOp, inputArtifacts: [{ name: 'Src' }] }] },
      { name: 'Approve', actions: [{ name: 'Release', actionTypeId: ACTION_TYPE.manual, configuration: { CustomData: 'ship it?' } }] },
    ],
  };
}

export interface MatrixCaller {
  label: string;
  role?: Role;
  team?: 'own' | 'other' | 'system';
  token: 'valid' | 'none' | 'expired' | 'forged';
  bearer: string | undefined;
}

/** Two teams with a member in every role, and the callers an authorization matrix asks each operation with. */
export class MatrixTeams {
  readonly run: string;
  readonly teamA: string;
  readonly teamB: string;

  constructor(
    private readonly services: SecuredServices,
    prefix: string,
  ) {
    this.run = uniqueName(prefix).replace(/_/g, '-').toLowerCase();
    this.teamA = `${this.run}-a`;
    this.teamB = `${this.run}-b`;
  }

  member(team: 'a' | 'b', role: Role): string {
    return `${this.run}-${team}-${role}`;
  }

  rootToken(): string {
    return this.services.token(this.services.root);
  }

  /** Creates both teams and binds each member (needs the services started). */
  async create(): Promise<void> {
    for (const team of [this.teamA, this.teamB]) await this.services.call('IdentityService', 'CreateTeam', { name: team }, this.rootToken());
    for (const role of roles) {
      await this.services.call('IdentityService', 'PutRoleBinding', { binding: { subject: this.member('a', role), team: this.teamA, role } }, this.rootToken());
      await this.services.call('IdentityService', 'PutRoleBinding', { binding: { subject: this.member('b', role), team: this.teamB, role } }, this.rootToken());
    }
  }

  /** Every role of the owning team (A) and of another (B), the system administrator, and no, expired and forged tokens. */
  callers(): MatrixCaller[] {
    const { services } = this;
    return [
      ...roles.flatMap((role): MatrixCaller[] => [
        { label: `${role} of the owning team`, role, team: 'own', token: 'valid', bearer: services.token(this.member('a', role)) },
        { label: `${role} of another team`, role, team: 'other', token: 'valid', bearer: services.token(this.member('b', role)) },
      ]),
      { label: 'system administrator', team: 'system', token: 'valid', bearer: this.rootToken() },
      { label: 'no token', token: 'none', bearer: undefined },
      { label: 'expired token', token: 'expired', bearer: services.token(this.member('a', 'admin'), { expiresIn: -3600 }) },
      { label: 'forged token', token: 'forged', bearer: services.forged(this.member('a', 'admin')) },
    ];
  }
}

/** What the policy says a matrix caller gets from an operation: both authorization matrices ask it. */
export function expectedOutcome(service: string, method: string, caller: Pick<MatrixCaller, 'role' | 'team' | 'token'>): Outcome {
  const policy = operationCatalog[`${service}/${method}`];
  if (!policy) throw new Error(`${service}/${method} has no entry in the operation catalog`);
  if (policy.scope === 'public') return 'ALLOWED';
  if (caller.token !== 'valid') return 'UNAUTHENTICATED';
  // Secret values answer a job token only: the handler refuses everyone else, system administrators too.
  if (policy.permission === 'secret.resolve') return 'PERMISSION_DENIED';
  if (caller.team === 'system' || policy.scope === 'authenticated') return 'ALLOWED';
  if (policy.scope === 'system' || caller.team === 'other') return 'PERMISSION_DENIED';
  return rolePermissions[caller.role!].includes(policy.permission) ? 'ALLOWED' : 'PERMISSION_DENIED';
}
