import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  apiTokenPrefix,
  authorize,
  checkApiToken,
  hashApiToken,
  Identity,
  isApiToken,
  isJobToken,
  isJwt,
  Resource,
  RoleBinding,
  securityConfig,
  SecurityConfig,
  systemTeam,
  teamGrants,
  TokenVerdict,
  verifyJobToken,
  verifyJwt,
  visibility,
} from '@pipewright/security';
import { AccessDecider, AccessDecision, CallToAuthorize, provideLocalAccessDecider, serviceSubject } from '@pipewright/service-kit';
import { IdentityRepository } from './identity.repository';

const builtInServiceBindings: RoleBinding[] = [
  { subject: serviceSubject('orchestrator'), team: systemTeam, role: 'viewer' },
  { subject: serviceSubject('notification'), team: systemTeam, role: 'viewer' },
  { subject: serviceSubject('artifact'), team: systemTeam, role: 'viewer' },
  { subject: serviceSubject('job-worker'), team: systemTeam, role: 'worker' },
];

/**
 * pipeline-definition's decision point: verifies the token (JWT locally, API tokens by hash), loads
 * the subject's role bindings and the pipeline's owner, decides by the policy, and records every
 * mutating call and every refusal in the audit log before answering.
 */
@Injectable()
export class LocalAccessDecider implements AccessDecider, OnModuleInit {
  private readonly logger = new Logger('auth');
  readonly config: SecurityConfig = securityConfig();
  /** Tokens of services asking Authorize, and what they proved (a subject, or nothing), until when. */
  private readonly askingServices = new Map<string, { subject?: string; until: number }>();

  constructor(private readonly repository: IdentityRepository) {}

  async onModuleInit(): Promise<void> {
    provideLocalAccessDecider(this);
    await this.repository.ready();
    // The services' own identities (service:<name>, libs/service-kit service-credentials.ts): what each reads or does across teams.
    for (const binding of builtInServiceBindings) await this.repository.putBinding(binding);
    const { bootstrapAdmin, bootstrapToken } = this.config;
    if (!bootstrapAdmin) return;
    await this.repository.putBinding({ subject: bootstrapAdmin, team: systemTeam, role: 'admin' });
    if (bootstrapToken) {
      if (!bootstrapToken.startsWith(apiTokenPrefix)) throw new Error(`PIPEWRIGHT_BOOTSTRAP_TOKEN must start with ${apiTokenPrefix}`);
      const now = new Date();
      await this.repository.saveApiToken({
        tokenId: 'bootstrap',
        hash: hashApiToken(bootstrapToken),
        identity: { kind: 'user', subject: bootstrapAdmin },
        team: systemTeam,
        description: 'bootstrap administrator (PIPEWRIGHT_BOOTSTRAP_TOKEN)',
        expires: new Date(now.getTime() + 10 * 365 * 24 * 3600_000),
        now,
      });
    }
    this.logger.log(`bootstrap administrator ${bootstrapAdmin}`);
  }

  async authenticate(token: string | undefined, now = new Date()): Promise<TokenVerdict> {
    if (!token) return { ok: false, reason: 'missing', message: 'this call needs a bearer token (authorization: Bearer …)' };
    if (isApiToken(token)) return checkApiToken(await this.repository.apiToken(hashApiToken(token)), now);
    // Before isJwt: a job token is a JWT behind its prefix, signed with the job token secret.
    if (isJobToken(token)) return verifyJobToken(token, this.config.jobTokenSecret, now);
    if (isJwt(token)) {
      if (!this.config.jwt) return { ok: false, reason: 'unknown-key', message: 'no JWT issuer is configured; use a Pipewright API token' };
      return verifyJwt(token, this.config.jwt, now);
    }
    return { ok: false, reason: 'malformed', message: 'the bearer token is neither a JWT nor a Pipewright API token' };
  }

  async decide(call: CallToAuthorize): Promise<AccessDecision> {
    const operation = `${call.service}/${call.method}`;
    const verdict = await this.authenticate(call.token);
    const audit = async (outcome: 'ALLOWED' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED', message: string, identity: Identity | undefined, resource: Resource): Promise<number | undefined> => {
      if (outcome === 'ALLOWED' && !call.policy.mutating && !this.config.auditReads) return undefined;
      return this.repository.appendAudit(
        { identity, operation, team: resource.team, pipeline: resource.pipeline, sourceAddress: call.sourceAddress, outcome, message, service: call.servedBy },
        new Date(),
      );
    };
    if (!verdict.ok) {
      await audit('UNAUTHENTICATED', verdict.message, undefined, call.resource);
      return { decision: 'UNAUTHENTICATED', message: verdict.message };
    }
    const identity = verdict.identity;
    const bindings = await this.repository.bindings({ subject: identity.subject });
    const resource = await this.resolve(call, bindings);
    const decision = authorize(identity, bindings, operation, call.policy, resource);
    if (!decision.allowed) {
      await audit('PERMISSION_DENIED', decision.message, identity, resource);
      return { decision: 'PERMISSION_DENIED', message: decision.message, identity };
    }
    const auditPosition = await audit('ALLOWED', '', identity, resource);
    return { decision: 'ALLOWED', identity, visibility: visibility(bindings), resource, ...(auditPosition === undefined ? {} : { auditPosition }) };
  }

  /** This process's own calls (the interceptor); other services' results come through RecordOperationResult. */
  async recordResult(auditPosition: number, result: string, message: string): Promise<void> {
    await this.repository.recordAuditResult(auditPosition, result, message, new Date());
  }

  /** The pipeline's owner; for a new pipeline without a named team, the caller's only team that may create it. */
  private async resolve(call: CallToAuthorize, bindings: RoleBinding[]): Promise<Resource> {
    if (call.resource.pipeline) return { pipeline: call.resource.pipeline, team: await this.repository.ownerOf(call.resource.pipeline) };
    if (call.policy.fields?.includes('#new-pipeline-team') && !call.resource.team) {
      const teams = [...new Set(bindings.filter((b) => b.team !== systemTeam && !b.pipeline).map((b) => b.team))].filter((t) => teamGrants(bindings, t, call.policy.permission));
      if (teams.length === 1) return { team: teams[0] };
    }
    return call.resource;
  }

  /**
   * The service asking Authorize, when its own token (a service account with a system-wide binding:
   * the built-in `service:<name>` ones or an operator's) proves it is one; undefined otherwise.
   */
  async askingService(token: string | undefined, now = Date.now()): Promise<string | undefined> {
    if (!token) return undefined;
    // Every Authorize carries it: a service's token is judged once a minute, not on each call.
    const known = this.askingServices.get(token);
    if (known && known.until > now) return known.subject;
    const verdict = await this.authenticate(token, new Date(now));
    let subject: string | undefined;
    if (verdict.ok && verdict.identity.kind === 'service-account') {
      const bindings = await this.repository.bindings({ subject: verdict.identity.subject });
      if (bindings.some((b) => b.team === systemTeam && !b.pipeline)) subject = verdict.identity.subject;
    }
    if (this.askingServices.size >= 1_000) this.askingServices.clear();
    this.askingServices.set(token, { subject, until: Math.min(now + 60_000, verdict.ok && verdict.expires ? verdict.expires.getTime() : now + 60_000) });
    return subject;
  }

  /** Bindings and visibility of an authenticated caller (WhoAmI, list filtering). */
  async bindingsOf(identity: Identity): Promise<RoleBinding[]> {
    return this.repository.bindings({ subject: identity.subject });
  }
}
