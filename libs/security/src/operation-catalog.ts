import { Permission, Resource, Scope } from './policy';

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
}

const read = (scope: Scope, permission: Permission, ...fields: string[]): OperationPolicy => ({ scope, permission, fields, mutating: false });
const write = (scope: Scope, permission: Permission, ...fields: string[]): OperationPolicy => ({ scope, permission, fields, mutating: true });

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
  'JobService/AcknowledgeJob': write('system', 'job.work'),
  'JobService/GetJobDetails': read('system', 'job.work'),
  'JobService/PutJobSuccessResult': write('system', 'job.work'),
  'JobService/PutJobFailureResult': write('system', 'job.work'),

  // A job id and an artifact id name no pipeline in the request: system-wide until they do.
  'JobLogService/GetJobLogs': read('system', 'log.read'),
  'ArtifactService/UploadArtifact': write('system', 'artifact.write'),
  'ArtifactService/DownloadArtifact': read('system', 'artifact.read'),
  'ArtifactService/StatArtifact': read('system', 'artifact.read'),
  'ArtifactService/ListArtifacts': read('system', 'artifact.read'),
  'ArtifactService/DeleteArtifact': write('system', 'artifact.write'),

  // A rule on one pipeline is that pipeline's; a rule on several or all is system-wide.
  'NotificationService/CreateNotificationRule': write('pipeline', 'notification.admin', 'rule.pipelines'),
  'NotificationService/UpdateNotificationRule': write('pipeline', 'notification.admin', 'rule.pipelines'),
  'NotificationService/DeleteNotificationRule': write('system', 'notification.admin'),
  'NotificationService/ListNotificationRules': read('pipeline', 'pipeline.read', 'pipelineName'),
  'NotificationService/ListDeliveries': read('system', 'notification.admin'),
  'NotificationService/RedeliverNotification': write('system', 'notification.admin'),
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
  'IdentityService/ListAuditEvents': read('system', 'audit.read'),
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
    return policy.scope === 'team' ? { team: name } : { pipeline: name };
  }
  return {};
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
