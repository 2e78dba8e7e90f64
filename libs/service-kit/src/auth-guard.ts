import { CallHandler, CanActivate, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { Observable, tap } from 'rxjs';
import { parse as parseYaml } from 'yaml';
import { securityV1 } from '@pipewright/contracts';
import { bearerToken, Identity, isAuthorizedOnFirstMessage, isLookedUp, operationPolicy, OperationPolicy, Resource, resourceOf, SecurityConfig, Visibility } from '@pipewright/security';
import { GrpcClient } from './grpc-client';
import { toGrpcError } from './grpc-errors';
import { serviceAddress } from './config';
import { serviceToken } from './service-credentials';

/** One gRPC call as the decision point sees it. */
export interface CallToAuthorize {
  service: string;
  method: string;
  policy: OperationPolicy;
  /** The bearer token, when the call carried one. */
  token?: string;
  resource: Resource;
  sourceAddress: string;
  /** The process answering the call (for the audit log). */
  servedBy: string;
}

export type AccessDecision =
  /** auditPosition: the audit entry the decision was recorded as (mutations; reads with PIPEWRIGHT_AUDIT_READS). */
  | { decision: 'ALLOWED'; identity: Identity; visibility: Visibility; resource: Resource; auditPosition?: number }
  | { decision: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'; message: string; identity?: Identity };

/**
 * Decides calls. pipeline-definition provides one over its own tables (and records the audit log);
 * every other service asks pipeline-definition's IdentityService.Authorize.
 */
export interface AccessDecider {
  decide(call: CallToAuthorize): Promise<AccessDecision>;
  /** The result of a call allowed as audit entry `auditPosition`: OK or a gRPC status name, and the error's message. */
  recordResult(auditPosition: number, result: string, message: string): Promise<void>;
}

let localDecider: AccessDecider | undefined;

/** Called by the service that decides itself (pipeline-definition), before it serves. */
export function provideLocalAccessDecider(decider: AccessDecider): void {
  localDecider = decider;
}

export function providedLocalAccessDecider(): AccessDecider | undefined {
  return localDecider;
}

const accessKey = Symbol.for('pipewright.access');

/** The caller's allowed decision, as the guard attached it to the call's metadata (undefined when auth is off). */
export function callerAccess(metadata: Metadata | undefined): Extract<AccessDecision, { decision: 'ALLOWED' }> | undefined {
  return (metadata as unknown as Record<symbol, Extract<AccessDecision, { decision: 'ALLOWED' }> | undefined> | undefined)?.[accessKey];
}

/**
 * Finds the pipeline an operation's request belongs to when the request names only an id (catalog
 * field `#lookup`): an artifact, a job, a rule, a delivery. Resolve `{}` for an unknown id: only
 * system-wide bindings then count, so a refusal does not tell whether the id exists.
 */
export type ResourceLookup = (method: string, request: unknown) => Promise<Resource>;

const lookups = new Map<string, ResourceLookup>();

/** Called by the service that owns the ids (e.g. from a module's onModuleInit), before it serves. */
export function provideResourceLookup(service: string, lookup: ResourceLookup): void {
  lookups.set(service, lookup);
}

/** The resource a call's request names: its fields, the service's lookup, or the team metadata of a new pipeline. */
export async function resourceOfCall(service: string, method: string, policy: OperationPolicy, request: unknown, metadata: Metadata | undefined): Promise<Resource> {
  if (!isLookedUp(policy)) return resourceFor(policy, request, metadata);
  const lookup = lookups.get(service);
  // Fail closed: an operation marked for lookup is never decided without one.
  if (!lookup) throw new RpcException({ code: GrpcStatus.PERMISSION_DENIED, message: `${service}/${method} needs a resource lookup this process does not provide; it is refused` });
  const found = await lookup(method, request).catch((error: Error) => {
    throw new RpcException({ code: GrpcStatus.UNAVAILABLE, message: `cannot look up the resource of ${service}/${method}: ${error.message}` });
  });
  // Only where the resource is counts; anything else a lookup returns is not the request's to say.
  return found.pipeline ? { pipeline: found.pipeline } : found.team ? { team: found.team } : {};
}

let authorizeLate: GrpcAuthGuard['authorizeCall'] | undefined;

/**
 * For a client stream whose first message names the resource (catalog field `#first-message`,
 * UploadArtifact): authorizes that message with the same decider and audit as the guard, and attaches
 * the decision to the call's metadata. Call it before acting on the message; it throws
 * UNAUTHENTICATED or PERMISSION_DENIED as an RpcException. Without auth (off, or no guard) it allows.
 */
export async function authorizeFirstMessage(call: { metadata: Metadata; getPeer(): string }, service: string, method: string, message: unknown): Promise<void> {
  await authorizeLate?.(service, method, message, call.metadata, call.getPeer());
}

/** Metadata key carrying the asking service's own bearer token on IdentityService.Authorize (beside the caller's). */
export const serviceAuthorizationKey = 'pipewright-service-authorization';

/** Metadata key naming the owning team of a pipeline being created (else the caller's only team). */
export const teamMetadataKey = 'pipewright-team';

/** Asks IdentityService.Authorize, reusing allowed read decisions briefly (mutations and denials are always asked: they are audited). */
export class RemoteAccessDecider implements AccessDecider {
  private readonly client: GrpcClient;
  private readonly cache = new Map<string, { until: number; decision: AccessDecision }>();

  constructor(
    private readonly cacheMs: number,
    address = serviceAddress('pipeline-definition'),
  ) {
    this.client = new GrpcClient('IdentityService', address, 10_000);
  }

  async decide(call: CallToAuthorize): Promise<AccessDecision> {
    const key = `${createHash('sha256').update(call.token ?? '').digest('hex')}|${call.service}/${call.method}|${call.resource.team ?? ''}|${call.resource.pipeline ?? ''}|${call.resource.jobId ?? ''}|${call.resource.nonce ?? ''}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.decision;
    const metadata = new Metadata();
    if (call.token) metadata.set('authorization', `Bearer ${call.token}`);
    const request: securityV1.AuthorizeRequest = {
      operation: `${call.service}/${call.method}`,
      team: call.resource.team ?? '',
      pipeline: call.resource.pipeline ?? '',
      sourceAddress: call.sourceAddress,
      service: call.servedBy,
      jobId: call.resource.jobId ?? '',
      nonce: call.resource.nonce ?? '',
    };
    const response = await this.ask<securityV1.AuthorizeResponse>('Authorize', request, metadata).catch((error: { details?: string; message?: string }) => {
      throw new RpcException({ code: GrpcStatus.UNAVAILABLE, message: `cannot reach the identity service to authorize this call: ${error.details ?? error.message}` });
    });
    const grant = response.identity?.job;
    const identity: Identity | undefined = response.identity
      ? { kind: response.identity.kind as Identity['kind'], subject: response.identity.subject, ...(grant?.jobId ? { job: { ...grant } } : {}) }
      : undefined;
    const auditPosition = Number(response.auditPosition ?? 0);
    const decision: AccessDecision =
      response.decision === 'ALLOWED'
        ? {
            decision: 'ALLOWED',
            identity: identity!,
            visibility: { teams: response.visibleTeams, pipelines: response.visiblePipelines },
            resource: { ...call.resource, team: response.pipelineTeam || call.resource.team },
            ...(auditPosition > 0 ? { auditPosition } : {}),
          }
        : { decision: response.decision === 'UNAUTHENTICATED' ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message: response.message, identity };
    // A recorded decision is not reused: each call gets its own audit entry and result.
    if (decision.decision === 'ALLOWED' && !call.policy.mutating && decision.auditPosition === undefined && this.cacheMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, { until: Date.now() + this.cacheMs, decision });
    }
    return decision;
  }

  async recordResult(auditPosition: number, result: string, message: string): Promise<void> {
    const request: securityV1.RecordOperationResultRequest = { auditPosition: String(auditPosition), result, message };
    await this.ask('RecordOperationResult', request);
  }

  /** One IdentityService call, this service proving itself beside what `metadata` carries (the caller's token). */
  private ask<Res>(method: 'Authorize' | 'RecordOperationResult', request: object, metadata = new Metadata()): Promise<Res> {
    const own = serviceToken();
    if (own) metadata.set(serviceAuthorizationKey, `Bearer ${own}`);
    return new Promise<Res>((resolve, reject) =>
      (this.client.stub as any)[method](request, metadata, { deadline: Date.now() + 10_000 }, (error: Error | null, value: Res) => (error ? reject(error) : resolve(value))),
    );
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Every gRPC call but grpc.health.v1 passes here when PIPEWRIGHT_AUTH=required: no or a bad token is
 * UNAUTHENTICATED, a missing permission PERMISSION_DENIED, an operation missing from the catalog
 * PERMISSION_DENIED too (fail closed). HTTP routes (health, signed webhooks) are not gRPC and pass.
 */
@Injectable()
export class GrpcAuthGuard implements CanActivate {
  private readonly logger = new Logger('auth');

  constructor(
    private readonly config: SecurityConfig,
    private readonly decider: () => AccessDecider,
    private readonly servedBy: string,
  ) {
    // One guard per process (runService): streamed calls that authorize late (authorizeFirstMessage) use it too.
    authorizeLate = (...args) => this.authorizeCall(...args);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc' || this.config.mode === 'off') return true;
    const patterns = Reflect.getMetadata(PATTERN_METADATA, context.getHandler()) as { service?: string; rpc?: string }[] | undefined;
    const pattern = patterns?.[0];
    if (!pattern?.service || !pattern.rpc || pattern.service === 'Health') return true;
    const { service, rpc: method } = pattern;
    const policy = operationPolicy(service, method);
    // The controller authorizes the first message (authorizeFirstMessage) before it acts on anything.
    if (policy && isAuthorizedOnFirstMessage(policy)) return true;
    const { metadata, peer } = callParts(context);
    await this.authorizeCall(service, method, context.switchToRpc().getData(), metadata, peer);
    return true;
  }

  /** Decides one call (or the first message of a streamed one) and attaches the allowed decision to its metadata. */
  async authorizeCall(service: string, method: string, request: unknown, metadata: Metadata | undefined, peer: string): Promise<void> {
    if (this.config.mode === 'off') return;
    const policy = operationPolicy(service, method);
    if (!policy) throw new RpcException({ code: GrpcStatus.PERMISSION_DENIED, message: `${service}/${method} has no entry in the operation catalog; it is refused until it has one` });
    if (policy.scope === 'public') return;
    const header = metadata?.get('authorization')[0];
    const token = bearerToken(typeof header === 'string' ? header : undefined);
    const resource = await resourceOfCall(service, method, policy, request, metadata);
    const decision = await this.decider().decide({ service, method, policy, token, resource, sourceAddress: peer, servedBy: this.servedBy });
    if (decision.decision === 'UNAUTHENTICATED') throw new RpcException({ code: GrpcStatus.UNAUTHENTICATED, message: decision.message });
    if (decision.decision === 'PERMISSION_DENIED') {
      this.logger.warn(`denied ${service}/${method}: ${decision.message}`);
      throw new RpcException({ code: GrpcStatus.PERMISSION_DENIED, message: decision.message });
    }
    if (metadata) (metadata as unknown as Record<symbol, unknown>)[accessKey] = decision;
  }
}

let recordResultLate: ((auditPosition: number, result: string, message: string) => void) | undefined;

/**
 * How an audited call ended (nothing, or the error it failed with), for its audit entry: OK or the
 * gRPC status name, and the error's message. The interceptor calls it for every call; a call that
 * authorized itself (authorizeFirstMessage) calls it once it has answered. Without an audit entry
 * (an allowed read, auth off) it does nothing.
 */
export function reportCallResult(metadata: Metadata | undefined, error?: unknown): void {
  const auditPosition = callerAccess(metadata)?.auditPosition;
  if (auditPosition === undefined || !recordResultLate) return;
  if (error === undefined) return recordResultLate(auditPosition, 'OK', '');
  const { code, message } = toGrpcError(error);
  recordResultLate(auditPosition, GrpcStatus[code] ?? String(code), message);
}

/**
 * Reports how each audited call ended to the decider, which adds it to the call's audit entry. Runs
 * after the guard, so the decision is on the metadata. Reporting never delays or fails the call: a
 * lost report leaves the result empty, and is logged.
 */
@Injectable()
export class AuditResultInterceptor implements NestInterceptor {
  private readonly logger = new Logger('auth');

  constructor(decider: () => AccessDecider) {
    // One per process (runService): calls that authorize late report through it too (reportCallResult).
    recordResultLate = (auditPosition, result, message) =>
      void decider()
        .recordResult(auditPosition, result, message)
        .catch((error: Error) => this.logger.warn(`the result ${result} of audit entry ${auditPosition} was not recorded: ${error.message}`));
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { metadata } = context.getType() === 'rpc' ? callParts(context) : { metadata: undefined };
    // A call authorized on its first message is decided inside its handler, which reports itself.
    if (callerAccess(metadata)?.auditPosition === undefined) return next.handle();
    return next.handle().pipe(tap({ complete: () => reportCallResult(metadata), error: (error: unknown) => reportCallResult(metadata, error) }));
  }
}

/**
 * The call's metadata and peer. Nest hands unary and server-streaming handlers (data, metadata, call)
 * and client-streaming ones (call, callback) or (observable, metadata, call): look where each keeps them.
 */
function callParts(context: ExecutionContext): { metadata?: Metadata; peer: string } {
  const args = [0, 1, 2].map((i) => context.getArgByIndex(i) as unknown);
  const metadata = [args[1], ...args.map((a) => (a as { metadata?: unknown } | undefined)?.metadata)].find((m): m is Metadata => m instanceof Metadata);
  const call = args.find((a) => typeof (a as { getPeer?: unknown } | undefined)?.getPeer === 'function') as { getPeer(): string } | undefined;
  return { metadata, peer: call?.getPeer() ?? '' };
}

function resourceFor(policy: OperationPolicy, request: unknown, metadata: Metadata | undefined): Resource {
  if (policy.fields?.includes('#new-pipeline-team')) {
    const team = metadata?.get(teamMetadataKey)[0];
    return typeof team === 'string' && team ? { team } : {};
  }
  return resourceOf(policy, request, (text) => parseYaml(text, { maxAliasCount: 0 }));
}
