import { JobAccess, lookupField, Permission, Resource, Scope } from './policy';

/**
 * Where an operation's resource is in its request: field paths in proto-loader's camelCase shape,
 * the first non-empty one wins (a repeated field only when it holds exactly one name). `#arn` reads a pipeline name out of a resource ARN, `#document`
 * reads `pipeline.name` (or `name`) out of a JSON or YAML declaration text.
 */
export interface OperationPolicy {
  permission: Permission;
  scope: Scope;
  /** Request fields naming the team (scope team) or the pipeline (scope pipeline). */
  fields?: readonly string[];
  /** Changes state: recorded in the audit log whether allowed or not. */
  mutating: boolean;
  /** What a job token may reach through it (absent: nothing). `own-job` reads `jobId` and `nonce` of the request. */
  job?: JobAccess;
}

const read = (scope: Scope, permission: Permission, ...fields: string[]): OperationPolicy => ({ scope, permission, fields, mutating: false });
const write = (scope: Scope, permission: Permission, ...fields: string[]): OperationPolicy => ({ scope, permission, fields, mutating: true });
/**
 * Field specs for requests that name only an id (artifact, job, rule, delivery): `#lookup` asks the
 * serving service for the pipeline the id belongs to (service-kit's provideResourceLookup; an unknown
 * id belongs to none). `#first-message` marks a client stream whose first message names the resource:
 * the guard lets the call through and the controller authorizes that message before acting on it.
 */
export const firstMessageField = '#first-message';
export const isLookedUp = (policy: OperationPolicy) => policy.fields?.includes(lookupField) ?? false;
export const isAuthorizedOnFirstMessage = (policy: OperationPolicy) => policy.fields?.includes(firstMessageField) ?? false;

/** The operation also serves a job token, for its own job (or pipeline). */
const forJobs = (policy: OperationPolicy, job: JobAccess): OperationPolicy => ({ ...policy, job });

/**
 * Every gRPC operation of every Pipewright service (`Service/Method`) and what it needs. A test
 * compares this with the proto service definitions: an operation without an entry fails it.
 */
export const operationCatalog: Readonly<Record<string, OperationPolicy>> = {
  'PipelineService/CreatePipeline': write('team', 'pipeline.write', '#new-pipeline-team'),
  'PipelineService/GetPipeline': read('pipeline', 'pipeline.read', 'name'),
  'PipelineService/UpdatePipeline': write('pipeline', 'pipeline.write', 'pipeline.name', 'pipelineDocument#document'),
  'PipelineService/DeletePipeline': write('pipeline', 'pipeline.write', 'name'),
  'PipelineService/ListPipelines': read('authenticated', 'none'),
  'PipelineService/ListPipelineVersions': read('pipeline', 'pipeline.read', 'name'),
  'PipelineService/TagResource': write('pipeline', 'pipeline.write', 'resourceArn#arn'),
  'PipelineService/UntagResource': write('pipeline', 'pipeline.write', 'resourceArn#arn'),
  'PipelineService/ListTagsForResource': read('pipeline', 'pipeline.read', 'resourceArn#arn'),
  'PipelineService/ListActionTypes': read('authenticated', 'none'),
  'PipelineService/CreateCustomActionType': write('system', 'action-type.write'),
  'PipelineService/DeleteCustomActionType': write('system', 'action-type.write'),
  'PipelineService/PutWebhook': write('pipeline', 'pipeline.write', 'webhook.targetPipeline'),
  // Webhooks are listed and deleted by their own name, which names no team yet: system-wide.
  'PipelineService/ListWebhooks': read('system', 'webhook.admin'),
  'PipelineService/DeleteWebhook': write('system', 'webhook.admin'),

  'ExecutionService/StartPipelineExecution': write('pipeline', 'execution.operate', 'name'),
  'ExecutionService/StopPipelineExecution': write('pipeline', 'execution.operate', 'pipelineName'),
  'ExecutionService/RetryStageExecution': write('pipeline', 'execution.operate', 'pipelineName'),
  'ExecutionService/RollbackStage': write('pipeline', 'execution.operate', 'pipelineName'),
  'ExecutionService/PutApprovalResult': write('pipeline', 'approval.decide', 'pipelineName'),
  'ExecutionService/EnableStageTransition': write('pipeline', 'execution.operate', 'pipelineName'),
  'ExecutionService/DisableStageTransition': write('pipeline', 'execution.operate', 'pipelineName'),
  'ExecutionService/GetPipelineState': read('pipeline', 'pipeline.read', 'name'),
  'ExecutionService/GetPipelineExecution': read('pipeline', 'pipeline.read', 'pipelineName'),
  'ExecutionService/ListPipelineExecutions': read('pipeline', 'pipeline.read', 'pipelineName'),
  'ExecutionService/ListActionExecutions': read('pipeline', 'pipeline.read', 'pipelineName'),
  'ExecutionService/GetDoraMetrics': read('pipeline', 'pipeline.read', 'pipelineName'),

  'JobService/PollForJobs': write('system', 'job.work'),
  'JobService/AcknowledgeJob': forJobs(write('system', 'job.work'), 'own-job'),
  'JobService/GetJobDetails': forJobs(read('system', 'job.work'), 'own-job'),
  'JobService/PutJobSuccessResult': forJobs(write('system', 'job.work'), 'own-job'),
  'JobService/PutJobFailureResult': forJobs(write('system', 'job.work'), 'own-job'),

  // A job id and an artifact id name no pipeline: the service looks up the pipeline they belong to.
  'JobLogService/GetJobLogs': read('pipeline', 'log.read', lookupField),
  'ArtifactService/UploadArtifact': forJobs(write('pipeline', 'artifact.write', firstMessageField, 'metadata.pipelineName'), 'own-pipeline'),
  'ArtifactService/DownloadArtifact': forJobs(read('pipeline', 'artifact.read', lookupField), 'own-pipeline'),
  'ArtifactService/StatArtifact': forJobs(read('pipeline', 'artifact.read', lookupField), 'own-pipeline'),
  'ArtifactService/ListArtifacts': forJobs(read('pipeline', 'artifact.read', lookupField), 'own-pipeline'),
  'ArtifactService/DeleteArtifact': forJobs(write('pipeline', 'artifact.write', lookupField), 'own-pipeline'),

  // A rule on one pipeline is that pipeline's; a rule on several or all is system-wide. Update,
  // delete, deliveries (by rule name) and redelivery look the existing rule up.
  'NotificationService/CreateNotificationRule': write('pipeline', 'notification.admin', 'rule.pipelines'),
  'NotificationService/UpdateNotificationRule': write('pipeline', 'notification.admin', lookupField),
  'NotificationService/DeleteNotificationRule': write('pipeline', 'notification.admin', lookupField),
  'NotificationService/ListNotificationRules': read('pipeline', 'pipeline.read', 'pipelineName'),
  'NotificationService/ListDeliveries': read('pipeline', 'notification.admin', lookupField),
  'NotificationService/RedeliverNotification': write('pipeline', 'notification.admin', lookupField),
  'NotificationService/WatchEvents': read('pipeline', 'pipeline.read', 'pipelineName'),

  'IdentityService/CreateTeam': write('system', 'team.create'),
  'IdentityService/ListTeams': read('authenticated', 'none'),
  'IdentityService/PutRoleBinding': write('team', 'team.admin', 'binding.team'),
  'IdentityService/DeleteRoleBinding': write('team', 'team.admin', 'binding.team'),
  'IdentityService/ListRoleBindings': read('team', 'team.admin', 'team'),
  'IdentityService/CreateApiToken': write('team', 'team.admin', 'team'),
  'IdentityService/RevokeApiToken': write('team', 'team.admin', 'team'),
  'IdentityService/WhoAmI': read('authenticated', 'none'),
  // Answers about the caller's own token, including that it has none.
  'IdentityService/Authorize': read('public', 'none'),
  // Public like Authorize (and not audited itself): the handler accepts only a Pipewright service's report.
  'IdentityService/RecordOperationResult': read('public', 'none'),
  'IdentityService/ListAuditEvents': read('system', 'audit.read'),

  'SecretService/PutSecret': write('team', 'team.admin', 'team'),
  'SecretService/DeleteSecret': write('team', 'team.admin', 'team'),
  // Names and versions only: what a pipeline may reference.
  'SecretService/ListSecrets': read('team', 'pipeline.read', 'team'),
  // Values: the job's own token only (a system administrator passes the policy; the handler refuses
  // it). Audited like a mutation: every read of a value is on record.
  'SecretService/ResolveJobSecrets': forJobs(write('system', 'secret.resolve'), 'own-job'),
};

export function operationPolicy(service: string, method: string): OperationPolicy | undefined {
  return operationCatalog[`${service}/${method}`];
}

function fieldValue(request: unknown, path: string): unknown {
  let node: unknown = request;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The pipeline name of a resource ARN (arn:…:codepipeline:region:account:name) or a bare name. */
export function pipelineOfArn(arn: string): string {
  return arn.startsWith('arn:') ? arn.split(':').slice(5).join(':') : arn;
}

/**
 * The resource an operation's request names. `parseDocument` turns a declaration text into data
 * (the caller brings the parser; this module stays free of one).
 */
export function resourceOf(policy: OperationPolicy, request: unknown, parseDocument: (text: string) => unknown): Resource {
  for (const spec of policy.fields ?? []) {
    const [path, reader] = spec.split('#');
    if (!path) continue;
    const value = fieldValue(request, path);
    // A list names a resource only when it has exactly one entry.
    const raw = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
    if (typeof raw !== 'string' || raw === '') continue;
    let name: string | undefined = raw;
    if (reader === 'arn') name = pipelineOfArn(raw);
    if (reader === 'document') name = declarationName(parseDocument, raw);
    if (!name) continue;
    return { ...jobOf(policy, request), ...(policy.scope === 'team' ? { team: name } : { pipeline: name }) };
  }
  return jobOf(policy, request);
}

/** The job id and nonce of a request a job token may make for its own job. */
function jobOf(policy: OperationPolicy, request: unknown): Resource {
  if (policy.job !== 'own-job') return {};
  const jobId = fieldValue(request, 'jobId');
  const nonce = fieldValue(request, 'nonce');
  return { jobId: typeof jobId === 'string' ? jobId : '', ...(typeof nonce === 'string' && nonce ? { nonce } : {}) };
}

function declarationName(parse: (text: string) => unknown, text: string): string | undefined {
  try {
    const doc = parse(text) as { pipeline?: { name?: unknown }; name?: unknown } | undefined;
    const name = doc?.pipeline?.name ?? doc?.name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}
