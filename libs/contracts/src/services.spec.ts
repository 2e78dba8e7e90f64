import { loadSync } from '@grpc/proto-loader';
import { grpcTransportOptions, protoFiles, protoLoaderOptions, ServiceName } from './index';

// Every operation of every service, in proto order. A change here is an API change
// (docs/contracts.md): add, never rename or remove.
const operations: Record<ServiceName, string[]> = {
  PipelineService: [
    'CreatePipeline',
    'GetPipeline',
    'UpdatePipeline',
    'DeletePipeline',
    'ListPipelines',
    'ListPipelineVersions',
    'TagResource',
    'UntagResource',
    'ListTagsForResource',
    'ListActionTypes',
    'CreateCustomActionType',
    'DeleteCustomActionType',
    'PutWebhook',
    'ListWebhooks',
    'DeleteWebhook',
  ],
  ExecutionService: [
    'StartPipelineExecution',
    'StopPipelineExecution',
    'RetryStageExecution',
    'RollbackStage',
    'PutApprovalResult',
    'EnableStageTransition',
    'DisableStageTransition',
    'GetPipelineState',
    'GetPipelineExecution',
    'ListPipelineExecutions',
    'ListActionExecutions',
    'GetDoraMetrics',
  ],
  JobService: ['PollForJobs', 'AcknowledgeJob', 'GetJobDetails', 'PutJobSuccessResult', 'PutJobFailureResult'],
  JobLogService: ['GetJobLogs'],
  ArtifactService: ['UploadArtifact', 'DownloadArtifact', 'StatArtifact', 'ListArtifacts', 'DeleteArtifact'],
  NotificationService: [
    'CreateNotificationRule',
    'UpdateNotificationRule',
    'DeleteNotificationRule',
    'ListNotificationRules',
    'ListDeliveries',
    'RedeliverNotification',
    'WatchEvents',
  ],
  IdentityService: [
    'CreateTeam',
    'ListTeams',
    'PutRoleBinding',
    'DeleteRoleBinding',
    'ListRoleBindings',
    'CreateApiToken',
    'RevokeApiToken',
    'WhoAmI',
    'Authorize',
    'RecordOperationResult',
    'ListAuditEvents',
  ],
  SecretService: ['PutSecret', 'DeleteSecret', 'ListSecrets', 'ResolveJobSecrets'],
};

interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

function loadService(name: ServiceName): Record<string, MethodDefinition> {
  const { package: pkg, service, protoPath } = protoFiles[name];
  const definition = loadSync([...protoPath], protoLoaderOptions);
  return definition[`${pkg}.${service}`] as unknown as Record<string, MethodDefinition>;
}

describe('gRPC services load as Nest loads them', () => {
  it('lists every service', () => {
    expect(Object.keys(protoFiles).sort()).toEqual(Object.keys(operations).sort());
  });

  it.each(Object.entries(operations))('%s exposes exactly its operations', (name, methods) => {
    const service = loadService(name as ServiceName);
    const { package: pkg } = protoFiles[name as ServiceName];

    expect(Object.keys(service)).toEqual(methods);
    for (const method of methods) {
      expect(service[method].path).toBe(`/${pkg}.${name}/${method}`);
    }
  });

  it.each([
    ['ArtifactService', 'UploadArtifact', true, false],
    ['ArtifactService', 'DownloadArtifact', false, true],
    ['JobLogService', 'GetJobLogs', false, true],
    ['NotificationService', 'WatchEvents', false, true],
    ['PipelineService', 'CreatePipeline', false, false],
  ] as const)('%s.%s streams requests=%s responses=%s', (name, method, requestStream, responseStream) => {
    const definition = loadService(name)[method];

    expect({ requestStream: definition.requestStream, responseStream: definition.responseStream }).toEqual({
      requestStream,
      responseStream,
    });
  });

  it('builds one Nest transport option for a process serving two packages', () => {
    const options = grpcTransportOptions('ExecutionService', 'JobService');

    expect(options.package).toEqual(['pipewright.execution.v1', 'pipewright.job.v1']);
    expect(options.protoPath).toEqual([
      'pipewright/execution/v1/execution_service.proto',
      'pipewright/job/v1/job_service.proto',
    ]);
    const definition = loadSync(options.protoPath, options.loader);
    expect(definition['pipewright.execution.v1.ExecutionService']).toBeDefined();
    expect(definition['pipewright.job.v1.JobService']).toBeDefined();
  });

  it('fails to load a proto path that does not exist', () => {
    expect(() => loadSync(['pipewright/nothing/v1/nothing.proto'], protoLoaderOptions)).toThrow();
  });
});
