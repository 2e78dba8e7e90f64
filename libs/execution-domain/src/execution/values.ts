import type { ExecutionMode, RetryMode } from '@pipewright/pipeline-model';

/** An artifact as the artifact service stores it: content-addressed, so the digest is the identity. */
export interface ArtifactRef {
  name: string;
  artifactId: string;
  sha256: string;
  sizeBytes: number;
}

/** StartPipelineExecution's sourceRevisions override (CodePipeline's SourceRevisionOverride). */
export interface SourceRevisionOverride {
  actionName: string;
  revisionType: 'COMMIT_ID' | 'IMAGE_DIGEST' | 'S3_OBJECT_VERSION_ID' | 'S3_OBJECT_KEY';
  revisionValue: string;
}

export type TriggerType =
  | 'CreatePipeline'
  | 'StartPipelineExecution'
  | 'PollForSourceChanges'
  | 'Webhook'
  | 'WebhookV2'
  | 'CloudWatchEvent'
  | 'PutActionRevision'
  | 'ManualRollback'
  | 'AutomatedRollback';

export interface ExecutionTrigger {
  triggerType: TriggerType;
  triggerDetail?: string;
}

export interface PipelineVariable {
  name: string;
  value: string;
}

/** The revision a source action reports (CodePipeline's PutJobSuccessResult currentRevision). */
export interface CurrentRevision {
  revision: string;
  changeIdentifier?: string;
  created?: string;
  revisionSummary?: string;
}

/** CodePipeline's FailureDetails.type, as a worker reports it. */
export type JobFailureType = 'JobFailed' | 'ConfigurationError' | 'PermissionError' | 'RevisionOutOfSync' | 'RevisionUnavailable' | 'SystemUnavailable';

/** Worker failure types plus the ones the orchestrator itself records. */
export type ActionErrorCode = JobFailureType | 'TimedOut' | 'HeartbeatTimeout' | 'Rejected';

export interface ErrorDetails {
  code: ActionErrorCode;
  message: string;
}

export type NamespaceVariables = Record<string, Record<string, string>>;

export type StageEntryReason = 'Start' | 'Transition' | 'Retry' | 'Rollback';

export type ExecutionType = 'STANDARD' | 'ROLLBACK';

export type { ExecutionMode, RetryMode };
