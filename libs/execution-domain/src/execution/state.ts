import type { ActionTypeId, PipelineDeclaration, RetryMode } from '@pipewright/pipeline-model';
import type {
  ArtifactRef,
  CurrentRevision,
  ErrorDetails,
  ExecutionMode,
  ExecutionTrigger,
  ExecutionType,
  NamespaceVariables,
  PipelineVariable,
  SourceRevisionOverride,
  StageEntryReason,
} from './values';
import type { ActionExecutionStarted } from './events';

export type ExecutionStatus = 'InProgress' | 'Stopping' | 'Stopped' | 'Succeeded' | 'Failed' | 'Superseded' | 'Cancelled';
export type StageStatus = 'InProgress' | 'Stopping' | 'Stopped' | 'Succeeded' | 'Failed' | 'Cancelled';
export type ActionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';

/** The latest attempt of one action in the current run of its stage. */
export interface ActionExecutionState {
  actionName: string;
  runOrder: number;
  attempt: number;
  runAttempt: number;
  actionExecutionId: string;
  status: ActionStatus;
  kind: 'Job' | 'Approval';
  actionTypeId?: ActionTypeId;
  jobId?: string;
  nonce?: string;
  acknowledged?: boolean;
  lastHeartbeatAt?: string;
  /** What the job was dispatched with, so a continuation hands out the same job again. */
  dispatched?: ActionExecutionStarted['data'];
  /** The latest continuation token of a long job: the job is handed out again carrying it. */
  continuationToken?: string;
  token?: string;
  configuration: Record<string, string>;
  inputArtifacts: ArtifactRef[];
  outputArtifacts: ArtifactRef[];
  outputVariables: Record<string, string>;
  namespace?: string;
  summary?: string;
  externalExecutionId?: string;
  externalExecutionUrl?: string;
  currentRevision?: CurrentRevision;
  errorDetails?: ErrorDetails;
  updatedBy?: string;
  /** When the attempt times out (the approval deadline for approvals). */
  deadline?: string;
  /** A retryPolicy retry waits for its backoff timer; the action is not settled meanwhile. */
  pendingRetry?: { attempt: number; fireAt: string };
  startTime: string;
  lastUpdateTime: string;
  endTime?: string;
}

export interface StageExecutionState {
  stageName: string;
  status: StageStatus;
  actions: Record<string, ActionExecutionState>;
  startTime: string;
  lastUpdateTime: string;
  endTime?: string;
}

/** Every job ever issued by the execution, so results for old attempts are recognised. */
export interface JobRecord {
  stageName: string;
  actionName: string;
  attempt: number;
  nonce: string;
  /** The result the worker reported, if any; duplicates of it are idempotent. */
  workerResult?: 'Succeeded' | 'Failed';
}

export interface StartedExecution {
  status: ExecutionStatus;
  pipelineExecutionId: string;
  pipelineName: string;
  pipelineVersion: number;
  declaration: PipelineDeclaration;
  executionMode: ExecutionMode;
  executionType: ExecutionType;
  trigger: ExecutionTrigger;
  sourceRevisions: SourceRevisionOverride[];
  variables: PipelineVariable[];
  seed: string;
  heartbeatTimeoutSeconds?: number;
  rollback?: { targetPipelineExecutionId: string; stageName: string; artifacts: ArtifactRef[]; namespaceVariables: NamespaceVariables };
  /** The stages this execution runs, in order (one for a rollback). */
  stageScope: string[];
  stages: Record<string, StageExecutionState>;
  /** Attempt counters per stage and action, kept across re-runs so job ids never repeat. */
  attempts: Record<string, Record<string, number>>;
  jobs: Record<string, JobRecord>;
  pendingEntry?: { stageName: string; reason: StageEntryReason; retryMode?: RetryMode; requestedAt: string };
  currentStage?: string;
  stop?: { abandon: boolean; reason?: string };
  supersededBy?: string;
  statusSummary?: string;
  startTime: string;
  lastUpdateTime: string;
  endTime?: string;
}

export type ExecutionState = { status: 'NotStarted' } | StartedExecution;

export const initialExecutionState = (): ExecutionState => ({ status: 'NotStarted' });

export const FINISHED_EXECUTION_STATUSES: readonly ExecutionStatus[] = ['Stopped', 'Succeeded', 'Failed', 'Superseded', 'Cancelled'];

export function isFinished(state: StartedExecution): boolean {
  return FINISHED_EXECUTION_STATUSES.includes(state.status);
}

/** An action still occupies its group while it runs or waits for a retry. */
export function isInFlight(action: ActionExecutionState | undefined): boolean {
  return action !== undefined && (action.status === 'InProgress' || action.pendingRetry !== undefined);
}
