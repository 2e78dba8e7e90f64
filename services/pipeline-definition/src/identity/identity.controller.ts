import { InvalidRequest, pageSize } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata, ServerUnaryCall, status as GrpcStatus } from '@grpc/grpc-js';
import { dateFromTimestamp, securityV1, timestampFromDate } from '@pipewright/contracts';
import { bearerToken, Identity, identityKinds, isIdentityKind, isRole, issueApiToken, operationCatalog, RoleBinding, systemGrants, systemTeam, Visibility } from '@pipewright/security';
import { callerAccess, serviceAuthorizationKey } from '@pipewright/service-kit';
import { LocalAccessDecider } from './access-decider';
import { ApiTokenNotFound, ApiTokenSubjectOutsideTeam, AuditEntryNotFound, AuditResultAlreadyRecorded, ResultReporterNotAService, TeamAlreadyExists, TeamNotFound } from './errors';
import { IdentityRepository } from './identity.repository';

const teamName = /^[a-z0-9][a-z0-9-]{0,62}$/;
const maxTtlSeconds = 366 * 24 * 3600;

function requireField(value: string | undefined | null, path: string): string {
  if (!value) throw InvalidRequest.at(path, `${path} is required`);
  return value;
}

const bindingMessage = (b: RoleBinding): securityV1.RoleBinding => ({ subject: b.subject, team: b.team, pipeline: b.pipeline ?? '', role: b.role });

/** gRPC adapter of IdentityService (teams, role bindings, API tokens, Authorize, the audit log). */
@Controller()
export class IdentityController implements securityV1.IdentityServiceController {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly decider: LocalAccessDecider,
  ) {}

  @GrpcMethod('IdentityService')
  async createTeam(request: securityV1.CreateTeamRequest): Promise<securityV1.CreateTeamResponse> {
    const name = requireField(request.name, 'name');
    if (!teamName.test(name)) throw InvalidRequest.at('name', 'a team name is 1-63 lowercase letters, digits and hyphens, starting with a letter or digit');
    const team = await this.repository.createTeam(name, request.displayName || name, new Date());
    if (!team) throw new TeamAlreadyExists(name);
    return { team: { name: team.name, displayName: team.displayName, created: timestampFromDate(team.created) } };
  }

  @GrpcMethod('IdentityService')
  async listTeams(_request: securityV1.ListTeamsRequest, metadata?: Metadata): Promise<securityV1.ListTeamsResponse> {
    const access = callerAccess(metadata);
    const bound = access ? new Set((await this.decider.bindingsOf(access.identity)).map((b) => b.team)) : undefined;
    const all = await this.repository.teams();
    const visible = bound && !bound.has(systemTeam) ? all.filter((t) => bound.has(t.name)) : all;
    return { teams: visible.map((t) => ({ name: t.name, displayName: t.displayName, created: timestampFromDate(t.created) })) };
  }

  @GrpcMethod('IdentityService')
  async putRoleBinding(request: securityV1.PutRoleBindingRequest): Promise<securityV1.PutRoleBindingResponse> {
    const binding = await this.validBinding(request.binding);
    await this.repository.putBinding(binding);
    return { binding: bindingMessage(binding) };
  }

  @GrpcMethod('IdentityService')
  async deleteRoleBinding(request: securityV1.DeleteRoleBindingRequest): Promise<securityV1.DeleteRoleBindingResponse> {
    await this.repository.deleteBinding(await this.validBinding(request.binding));
    return {};
  }

  @GrpcMethod('IdentityService')
  async listRoleBindings(request: securityV1.ListRoleBindingsRequest): Promise<securityV1.ListRoleBindingsResponse> {
    const team = requireField(request.team, 'team');
    const bindings = await this.repository.bindings({ team, subject: request.subject || undefined });
    return { bindings: bindings.map(bindingMessage) };
  }

  @GrpcMethod('IdentityService')
  async createApiToken(request: securityV1.CreateApiTokenRequest, metadata?: Metadata): Promise<securityV1.CreateApiTokenResponse> {
    const subject = requireField(request.subject, 'subject');
    const team = requireField(request.team, 'team');
    const access = callerAccess(metadata);
    if (access && !systemGrants(await this.decider.bindingsOf(access.identity), 'team.admin')) {
      const elsewhere = (await this.repository.bindings({ subject })).some((b) => b.team !== team);
      if (elsewhere) throw new ApiTokenSubjectOutsideTeam(subject, team);
    }
    const kind = request.kind || 'service-account';
    if (!isIdentityKind(kind) || kind === 'job') throw InvalidRequest.at('kind', `kind must be user or service-account (${identityKinds.join(', ')} exist; job tokens are issued with jobs)`);
    if (team !== systemTeam && !(await this.repository.teamExists(team))) throw new TeamNotFound(team);
    const ttl = Number(request.ttlSeconds || 90 * 24 * 3600);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTtlSeconds) throw InvalidRequest.at('ttl_seconds', `ttl_seconds must be between 1 and ${maxTtlSeconds}`);
    const now = new Date();
    const expires = new Date(now.getTime() + ttl * 1000);
    const issued = issueApiToken();
    await this.repository.saveApiToken({ tokenId: issued.tokenId, hash: issued.hash, identity: { kind, subject }, team, description: request.description ?? '', expires, now });
    return { tokenId: issued.tokenId, token: issued.token, expires: timestampFromDate(expires) };
  }

  @GrpcMethod('IdentityService')
  async revokeApiToken(request: securityV1.RevokeApiTokenRequest): Promise<securityV1.RevokeApiTokenResponse> {
    const tokenId = requireField(request.tokenId, 'token_id');
    const team = requireField(request.team, 'team');
    if (!(await this.repository.revokeApiToken(tokenId, team))) throw new ApiTokenNotFound(tokenId, team);
    return {};
  }

  @GrpcMethod('IdentityService')
  async whoAmI(_request: securityV1.WhoAmIRequest, metadata?: Metadata): Promise<securityV1.WhoAmIResponse> {
    const verdict = await this.decider.authenticate(tokenOf(metadata));
    if (!verdict.ok) return { identity: undefined, bindings: [] };
    return { identity: identityMessage(verdict.identity), bindings: (await this.decider.bindingsOf(verdict.identity)).map(bindingMessage) };
  }

  @GrpcMethod('IdentityService')
  async authorize(request: securityV1.AuthorizeRequest, metadata?: Metadata, call?: ServerUnaryCall<unknown, unknown>): Promise<securityV1.AuthorizeResponse> {
    const operation = requireField(request.operation, 'operation').replace(/^\/?(?:[a-z0-9]+\.)*/, '');
    const policy = operationCatalog[operation];
    if (!policy) return { decision: 'PERMISSION_DENIED', message: `${operation} has no entry in the operation catalog`, identity: undefined, visibleTeams: [], visiblePipelines: [], pipelineTeam: '', auditPosition: '0' };
    const [service, method] = operation.split('/');
    // What the asking service reports (the caller's address, itself) is recorded only when it proves
    // it is a Pipewright service; anyone else's Authorize is recorded as what this process saw.
    const asking = await this.decider.askingService(tokenOf(metadata, serviceAuthorizationKey));
    const decision = await this.decider.decide({
      service,
      method,
      policy,
      token: tokenOf(metadata),
      resource: { team: request.team || undefined, pipeline: request.pipeline || undefined, jobId: request.jobId || undefined, nonce: request.nonce || undefined },
      sourceAddress: asking ? request.sourceAddress : (call?.getPeer() ?? ''),
      servedBy: asking ? request.service || asking : `unverified (reported ${request.service || 'nothing'})`,
    });
    const none: Visibility = { teams: [], pipelines: [] };
    const visible = decision.decision === 'ALLOWED' ? decision.visibility : none;
    return {
      decision: decision.decision,
      message: decision.decision === 'ALLOWED' ? '' : decision.message,
      identity: decision.identity && identityMessage(decision.identity),
      visibleTeams: visible.teams,
      visiblePipelines: visible.pipelines,
      pipelineTeam: decision.decision === 'ALLOWED' ? (decision.resource.team ?? '') : '',
      auditPosition: String(decision.decision === 'ALLOWED' ? (decision.auditPosition ?? 0) : 0),
    };
  }

  @GrpcMethod('IdentityService')
  async recordOperationResult(request: securityV1.RecordOperationResultRequest, metadata?: Metadata): Promise<securityV1.RecordOperationResultResponse> {
    const position = Number(request.auditPosition);
    if (!Number.isSafeInteger(position) || position <= 0) throw InvalidRequest.at('audit_position', 'audit_position must be the position of an audit entry (from AuthorizeResponse)');
    const result = requireField(request.result, 'result');
    if (typeof (GrpcStatus as unknown as Record<string, unknown>)[result] !== 'number') throw InvalidRequest.at('result', `result must be OK or a gRPC status name, not "${result}"`);
    if (!(await this.decider.askingService(tokenOf(metadata, serviceAuthorizationKey)))) throw new ResultReporterNotAService();
    const recorded = await this.repository.recordAuditResult(position, result, request.message ?? '', new Date());
    if (recorded === 'no-such-allowed-entry') throw new AuditEntryNotFound(position);
    if (recorded === 'already-recorded') throw new AuditResultAlreadyRecorded(position);
    return {};
  }

  @GrpcMethod('IdentityService')
  async listAuditEvents(request: securityV1.ListAuditEventsRequest): Promise<securityV1.ListAuditEventsResponse> {
    const limit = pageSize(request.maxResults);
    const afterPosition = request.nextToken ? Number(request.nextToken) : 0;
    if (!Number.isInteger(afterPosition) || afterPosition < 0) throw InvalidRequest.at('next_token', 'next_token is not one this service issued');
    const rows = await this.repository.auditEvents({
      subject: request.subject || undefined,
      operation: request.operation || undefined,
      team: request.team || undefined,
      pipeline: request.pipeline || undefined,
      outcome: request.outcome || undefined,
      result: request.result || undefined,
      after: request.after ? dateFromTimestamp(request.after) : undefined,
      before: request.before ? dateFromTimestamp(request.before) : undefined,
      afterPosition,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      events: page.map((r) => ({
        position: String(r.position),
        time: timestampFromDate(r.time),
        identity: r.identity && identityMessage(r.identity),
        operation: r.operation,
        team: r.team ?? '',
        pipeline: r.pipeline ?? '',
        sourceAddress: r.sourceAddress,
        outcome: r.outcome,
        message: r.message,
        service: r.service,
        result: r.result,
        resultMessage: r.resultMessage,
      })),
      nextToken: rows.length > limit ? String(page[page.length - 1].position) : '',
    };
  }

  private async validBinding(binding: securityV1.RoleBinding | undefined): Promise<RoleBinding> {
    const subject = requireField(binding?.subject, 'binding.subject');
    const team = requireField(binding?.team, 'binding.team');
    const role = requireField(binding?.role, 'binding.role');
    if (!isRole(role)) throw InvalidRequest.at('binding.role', `role must be viewer, operator, approver, admin or worker, got "${role}"`);
    if (team !== systemTeam && !(await this.repository.teamExists(team))) throw new TeamNotFound(team);
    return { subject, team, pipeline: binding?.pipeline || undefined, role };
  }
}

function tokenOf(metadata: Metadata | undefined, key = 'authorization'): string | undefined {
  const header = metadata?.get(key)[0];
  return bearerToken(typeof header === 'string' ? header : undefined);
}

/** An identity as IdentityService answers it: a job identity with the grant of its token. */
function identityMessage(identity: Identity): securityV1.Identity {
  return { kind: identity.kind, subject: identity.subject, job: identity.job };
}
