import { join } from 'node:path';

/** Absolute path of the repository's proto/ folder: the include root of every .proto import. */
export const protoRoot = join(__dirname, '..', '..', '..', 'proto');

export interface ServiceProto {
  /** The proto package, as Nest's `package` option wants it. */
  readonly package: string;
  /** The service's name inside its package. */
  readonly service: string;
  /** The .proto files to load, relative to protoRoot (their imports are found through includeDirs). */
  readonly protoPath: readonly string[];
}

/** Every gRPC service of Pipewright and the process that serves it (docs/contracts.md). */
export const protoFiles = {
  /** Served by pipeline-definition. */
  PipelineService: {
    package: 'pipewright.pipeline.v1',
    service: 'PipelineService',
    protoPath: ['pipewright/pipeline/v1/pipeline_service.proto'],
  },
  /** Served by the orchestrator. */
  ExecutionService: {
    package: 'pipewright.execution.v1',
    service: 'ExecutionService',
    protoPath: ['pipewright/execution/v1/execution_service.proto'],
  },
  /** Served by the orchestrator, for workers outside Pipewright. */
  JobService: {
    package: 'pipewright.job.v1',
    service: 'JobService',
    protoPath: ['pipewright/job/v1/job_service.proto'],
  },
  /** Served by job-worker. */
  JobLogService: {
    package: 'pipewright.job.v1',
    service: 'JobLogService',
    protoPath: ['pipewright/job/v1/job_log_service.proto'],
  },
  /** Served by the artifact service. */
  ArtifactService: {
    package: 'pipewright.artifact.v1',
    service: 'ArtifactService',
    protoPath: ['pipewright/artifact/v1/artifact_service.proto'],
  },
  /** Served by the notification service. */
  NotificationService: {
    package: 'pipewright.notification.v1',
    service: 'NotificationService',
    protoPath: ['pipewright/notification/v1/notification_service.proto'],
  },
  /** Served by pipeline-definition: teams, role bindings, API tokens, authorization, audit log. */
  IdentityService: {
    package: 'pipewright.security.v1',
    service: 'IdentityService',
    protoPath: ['pipewright/security/v1/identity_service.proto'],
  },
  /** Served by pipeline-definition: the per-team secret store. */
  SecretService: {
    package: 'pipewright.security.v1',
    service: 'SecretService',
    protoPath: ['pipewright/security/v1/secret_service.proto'],
  },
} as const satisfies Record<string, ServiceProto>;

export type ServiceName = keyof typeof protoFiles;

/**
 * @grpc/proto-loader options that produce the shapes the generated types describe (camelCase keys,
 * int64 as strings, defaults filled, arrays always present). Every server and client uses these.
 */
export const protoLoaderOptions = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  arrays: true,
  includeDirs: [protoRoot],
};

/**
 * The `options` of Nest's gRPC transport (server or ClientsModule) for one process serving or
 * calling the given services, e.g. `{ transport: Transport.GRPC, options: { url, ...grpcTransportOptions('ExecutionService', 'JobService') } }`.
 */
export function grpcTransportOptions(...services: ServiceName[]): {
  package: string[];
  protoPath: string[];
  loader: typeof protoLoaderOptions;
} {
  const chosen = services.map((name) => protoFiles[name]);
  return {
    package: [...new Set(chosen.map((s) => s.package))],
    protoPath: [...new Set(chosen.flatMap((s) => s.protoPath))],
    loader: protoLoaderOptions,
  };
}
