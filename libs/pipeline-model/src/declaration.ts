/**
 * CodePipeline's pipeline declaration, spelled as its JSON (`aws codepipeline get-pipeline`).
 * These are the domain's types; the proto messages in proto/pipewright/pipeline/v1 have the same
 * fields in snake_case, so the proto3 JSON of one is the other.
 */
export type ActionCategory = 'Source' | 'Build' | 'Test' | 'Deploy' | 'Approval' | 'Invoke' | 'Compute';
/** `Pipewright` owns the providers Pipewright's job-worker runs itself (not a CodePipeline value). */
export type ActionOwner = 'AWS' | 'ThirdParty' | 'Custom' | 'Pipewright';
export type ExecutionMode = 'SUPERSEDED' | 'QUEUED' | 'PARALLEL';
export type PipelineType = 'V1' | 'V2';
export type RetryMode = 'ALL_ACTIONS' | 'FAILED_ACTIONS';
export type ConditionResult = 'ROLLBACK' | 'FAIL' | 'RETRY' | 'SKIP';

export interface ActionTypeId {
  category: ActionCategory;
  owner: ActionOwner;
  provider: string;
  version: string;
}

export interface InputArtifact {
  name: string;
}

export interface OutputArtifact {
  name: string;
  files?: string[];
}

export interface EnvironmentVariable {
  name: string;
  value: string;
  type?: 'PLAINTEXT' | 'SECRETS_MANAGER';
}

/** Pipewright's extension (off unless declared): retry a failed action attempt with backoff. */
export interface ActionRetryPolicy {
  maxAttempts: number;
  backoffSeconds: number;
  backoffMultiplier?: number;
}

export interface ActionDeclaration {
  name: string;
  actionTypeId: ActionTypeId;
  runOrder?: number;
  configuration?: Record<string, string>;
  commands?: string[];
  outputArtifacts?: OutputArtifact[];
  inputArtifacts?: InputArtifact[];
  outputVariables?: string[];
  roleArn?: string;
  region?: string;
  namespace?: string;
  timeoutInMinutes?: number;
  environmentVariables?: EnvironmentVariable[];
  retryPolicy?: ActionRetryPolicy;
}

export interface RuleTypeId {
  category: 'Rule';
  owner?: 'AWS';
  provider: string;
  version?: string;
}

export interface RuleDeclaration {
  name: string;
  ruleTypeId: RuleTypeId;
  configuration?: Record<string, string>;
  commands?: string[];
  inputArtifacts?: InputArtifact[];
  roleArn?: string;
  region?: string;
  timeoutInMinutes?: number;
}

export interface Condition {
  result?: ConditionResult;
  rules?: RuleDeclaration[];
}

export interface FailureConditions {
  result?: ConditionResult;
  retryConfiguration?: { retryMode?: RetryMode };
  conditions?: Condition[];
}

export interface BlockerDeclaration {
  name: string;
  type: 'Schedule';
}

export interface StageDeclaration {
  name: string;
  blockers?: BlockerDeclaration[];
  actions: ActionDeclaration[];
  onFailure?: FailureConditions;
  onSuccess?: { conditions: Condition[] };
  beforeEntry?: { conditions: Condition[] };
}

export interface EncryptionKey {
  id: string;
  type: 'KMS';
}

export interface ArtifactStore {
  type: 'S3';
  location: string;
  encryptionKey?: EncryptionKey;
}

export interface PipelineVariableDeclaration {
  name: string;
  defaultValue?: string;
  description?: string;
}

export interface GitTagFilterCriteria {
  includes?: string[];
  excludes?: string[];
}

export type GitBranchFilterCriteria = GitTagFilterCriteria;
export type GitFilePathFilterCriteria = GitTagFilterCriteria;

export interface GitPushFilter {
  tags?: GitTagFilterCriteria;
  branches?: GitBranchFilterCriteria;
  filePaths?: GitFilePathFilterCriteria;
}

export interface GitPullRequestFilter {
  events?: ('OPEN' | 'UPDATED' | 'CLOSED')[];
  branches?: GitBranchFilterCriteria;
  filePaths?: GitFilePathFilterCriteria;
}

export interface PipelineTriggerDeclaration {
  providerType: 'CodeStarSourceConnection';
  gitConfiguration: {
    sourceActionName: string;
    push?: GitPushFilter[];
    pullRequest?: GitPullRequestFilter[];
  };
}

export interface PipelineDeclaration {
  name: string;
  roleArn?: string;
  artifactStore?: ArtifactStore;
  artifactStores?: Record<string, ArtifactStore>;
  stages: StageDeclaration[];
  version?: number;
  executionMode?: ExecutionMode;
  pipelineType?: PipelineType;
  variables?: PipelineVariableDeclaration[];
  triggers?: PipelineTriggerDeclaration[];
}

/** A tag as CreatePipeline takes it beside the pipeline (`{"pipeline": …, "tags": […]}`). */
export interface Tag {
  key: string;
  value: string;
}
