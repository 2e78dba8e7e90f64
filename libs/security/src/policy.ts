import { Identity } from './identity';

/** What an operation needs. `none`: any authenticated caller (results are filtered to what it may see). */
export type Permission =
  | 'none'
  | 'pipeline.read'
  | 'pipeline.write'
  | 'execution.operate'
  | 'approval.decide'
  | 'team.admin'
  | 'team.create'
  | 'action-type.write'
  | 'webhook.admin'
  | 'notification.admin'
  | 'job.work'
  | 'artifact.read'
  | 'artifact.write'
  | 'log.read'
  | 'audit.read'
  // No role has it: only a job token, for its own job, reads secret values (docs/security.md "Secrets").
  | 'secret.resolve';

export type Role = 'viewer' | 'operator' | 'approver' | 'admin' | 'worker';

export const roles: readonly Role[] = ['viewer', 'operator', 'approver', 'admin', 'worker'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

// Reading a pipeline includes reading what its executions produced: artifacts and job logs.
const viewer: Permission[] = ['pipeline.read', 'artifact.read', 'log.read'];

/** The permission table. An `admin` binding on the team `*` is a system administrator: every permission everywhere. */
export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = {
  viewer,
  operator: [...viewer, 'execution.operate'],
  approver: [...viewer, 'approval.decide'],
  admin: [...viewer, 'execution.operate', 'approval.decide', 'pipeline.write', 'team.admin', 'notification.admin', 'artifact.write'],
  // Job workers (service accounts): take and finish jobs, move artifacts; they see no pipeline.
  worker: ['job.work', 'artifact.read', 'artifact.write'],
};

/** A role given to a subject on a team (pipeline empty) or on one pipeline of it; team `*` is system-wide. */
export interface RoleBinding {
  subject: string;
  team: string;
  pipeline?: string;
  role: Role;
}

export const systemTeam = '*';

export const rolesGranting = (permission: Permission): Role[] => roles.filter((r) => rolePermissions[r].includes(permission));

/** Where an operation's resource is, once the service has read its request. */
export interface Resource {
  team?: string;
  pipeline?: string;
  /** The job a job operation names, and the nonce the request carries (if any). */
  jobId?: string;
  nonce?: string;
}

/**
 * What a job token may reach through an operation: its own job (the request's job id, and nonce if
 * it carries one, are the grant's) or resources of its own pipeline (artifacts). Nothing else.
 */
export type JobAccess = 'own-job' | 'own-pipeline';

/**
 * How the decision scopes an operation: `public` needs no token (it authenticates itself),
 * `authenticated` any valid token, `system` a system-wide binding, `team`/`pipeline` a binding on
 * the resource's team (or that pipeline).
 */
export type Scope = 'public' | 'authenticated' | 'system' | 'team' | 'pipeline';

export type Decision = { allowed: true } | { allowed: false; message: string };

/** The catalog's field spec for a resource the serving service looks up from an id in the request (operation-catalog.ts). */
export const lookupField = '#lookup';

function permissionsOf(bindings: readonly RoleBinding[], applies: (b: RoleBinding) => boolean): Set<Permission> {
  const granted = new Set<Permission>();
  for (const b of bindings) {
    if (!applies(b)) continue;
    // A system admin holds every permission, including ones no team role has.
    if (b.team === systemTeam && !b.pipeline && b.role === 'admin') return new Set<Permission>(['*' as Permission]);
    for (const p of rolePermissions[b.role] ?? []) granted.add(p);
  }
  return granted;
}

const has = (granted: Set<Permission>, permission: Permission) => granted.has('*' as Permission) || granted.has(permission);

/** Whether a system-wide binding grants the permission. */
export function systemGrants(bindings: readonly RoleBinding[], permission: Permission): boolean {
  return has(permissionsOf(bindings, (b) => b.team === systemTeam && !b.pipeline), permission);
}

/** Whether the bindings grant the permission on a team (team-level bindings only). */
export function teamGrants(bindings: readonly RoleBinding[], team: string, permission: Permission): boolean {
  return has(permissionsOf(bindings, (b) => !b.pipeline && (b.team === systemTeam || b.team === team)), permission);
}

/** Whether the bindings grant the permission on a pipeline owned by `team` (undefined: unowned, system only). */
export function pipelineGrants(bindings: readonly RoleBinding[], pipeline: string, team: string | undefined, permission: Permission): boolean {
  return has(
    permissionsOf(bindings, (b) => (b.team === systemTeam && !b.pipeline) || (team !== undefined && b.team === team && (!b.pipeline || b.pipeline === pipeline))),
    permission,
  );
}

/**
 * The decision for one call. `resource.team` for a pipeline is its owning team as recorded at its
 * creation (undefined when the pipeline is unknown: then only system-wide bindings count, so the
 * answer says nothing about whether another team's pipeline exists).
 */
export function authorize(
  identity: Identity,
  bindings: readonly RoleBinding[],
  operation: string,
  { scope, permission, job, fields }: { scope: Scope; permission: Permission; job?: JobAccess; fields?: readonly string[] },
  resource: Resource,
): Decision {
  if (identity.kind === 'job') return authorizeJob(identity, operation, job, resource);
  const deny = (where: string): Decision => ({
    allowed: false,
    message: `${identity.kind} ${identity.subject} may not call ${operation} on ${where}: it needs ${permission} (${describeRoles(permission)})`,
  });
  switch (scope) {
    case 'public':
    case 'authenticated':
      return { allowed: true };
    case 'system':
      return systemGrants(bindings, permission) ? { allowed: true } : deny('the whole system');
    case 'team':
      if (!resource.team || resource.team === systemTeam) return systemGrants(bindings, permission) ? { allowed: true } : deny('the whole system');
      return teamGrants(bindings, resource.team, permission) ? { allowed: true } : deny(`team "${resource.team}"`);
    case 'pipeline': {
      // A looked-up pipeline is not named back: another team's id and an unknown one are refused alike.
      const hidden = fields?.includes(lookupField) ? `what the request names` : undefined;
      if (!resource.pipeline) return systemGrants(bindings, permission) ? { allowed: true } : deny(hidden ?? 'every pipeline (name one)');
      return pipelineGrants(bindings, resource.pipeline, resource.team, permission) ? { allowed: true } : deny(hidden ?? `pipeline "${resource.pipeline}"`);
    }
  }
}

/** A job token holds no role: it reaches its own job and its own pipeline's artifacts and secrets only. */
function authorizeJob(identity: Identity, operation: string, access: JobAccess | undefined, resource: Resource): Decision {
  const grant = identity.job;
  const deny = (why: string): Decision => ({ allowed: false, message: `the job token of ${grant ? `job ${grant.jobId}` : identity.subject} may not call ${operation}: ${why}` });
  if (!grant) return deny('it names no job');
  if (!access) return deny('a job token reaches only its own job, its pipeline\'s artifacts and its secrets');
  if (access === 'own-job') {
    if (resource.jobId !== grant.jobId) return deny(`it is scoped to job ${grant.jobId}, not ${resource.jobId ? `job ${resource.jobId}` : 'a call naming no job'}`);
    if (resource.nonce && resource.nonce !== grant.nonce) return deny('the nonce is not the one the token was issued with (a stale or replayed attempt)');
    return { allowed: true };
  }
  if (resource.pipeline !== grant.pipeline) return deny(`it is scoped to pipeline "${grant.pipeline}"`);
  return { allowed: true };
}

function describeRoles(permission: Permission): string {
  const granting = rolesGranting(permission);
  return granting.length ? `role ${granting.join(', ')}` : 'a system administrator';
}

/** What a caller may read in list operations: teams (or `*`), and single pipelines bound to it (`team/pipeline`). */
export interface Visibility {
  teams: string[];
  pipelines: string[];
}

export function visibility(bindings: readonly RoleBinding[]): Visibility {
  if (systemGrants(bindings, 'pipeline.read')) return { teams: [systemTeam], pipelines: [] };
  const teams = new Set<string>();
  const pipelines = new Set<string>();
  for (const b of bindings) {
    if (!rolePermissions[b.role]?.includes('pipeline.read') || b.team === systemTeam) continue;
    if (b.pipeline) pipelines.add(`${b.team}/${b.pipeline}`);
    else teams.add(b.team);
  }
  return { teams: [...teams].sort(), pipelines: [...pipelines].sort() };
}

export function canSee(v: Visibility, pipeline: string, team: string | undefined): boolean {
  return v.teams.includes(systemTeam) || (team !== undefined && v.teams.includes(team)) || (team !== undefined && v.pipelines.includes(`${team}/${pipeline}`));
}
