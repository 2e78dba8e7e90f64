import type { Event } from '@pipewright/decider';
import type { ActionTypeId, EnvironmentVariable, PipelineDeclaration, RetryMode } from '@pipewright/pipeline-model';
import { eventFactory } from '../canonical';
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

/** The events of one execution's stream. Every one carries `at`, the time of the command that caused it. */
export type PipelineExecutionStarted = Event<
  'PipelineExecutionStarted',
  {
    pipelineExecutionId: string;
    pipelineName: string;
    pipelineVersion: number;
    declaration: PipelineDeclaration;
    executionMode: ExecutionMode;
    executionType: ExecutionType;
    trigger: ExecutionTrigger;
    sourceRevisions: SourceRevisionOverride[];
    /** Declared defaults overridden by StartPipelineExecution's values. */
    variables: PipelineVariable[];
    seed: string;
    /** Silence from a heartbeating worker this long fails the attempt; absent in old histories (300 s). */
    heartbeatTimeoutSeconds?: number;
    /** Only for ROLLBACK executions: the one stage they run and what it inherits from the target. */
    rollback?: { targetPipelineExecutionId: string; stageName: string; artifacts: ArtifactRef[]; namespaceVariables: NamespaceVariables };
    at: string;
  }
>;

/** The execution asks the lane coordinator to let it into a stage. */
export type StageEntryRequested = Event<'StageEntryRequested', { stageName: string; reason: StageEntryReason; retryMode?: RetryMode; at: string }>;

export type StageExecutionStarted = Event<'StageExecutionStarted', { stageName: string; retryMode?: RetryMode; at: string }>;

/** A job was issued for an action attempt; its data is the job request. */
export type ActionExecutionStarted = Event<
  'ActionExecutionStarted',
  {
    stageName: string;
    actionName: string;
    attempt: number;
    /** 1 for a fresh dispatch, +1 for each automatic retry of the action's retryPolicy. */
    runAttempt: number;
    actionExecutionId: string;
    jobId: string;
    nonce: string;
    actionTypeId: ActionTypeId;
    runOrder: number;
    namespace?: string;
    configuration: Record<string, string>;
    commands?: string[];
    environmentVariables?: EnvironmentVariable[];
    inputArtifacts: ArtifactRef[];
    outputArtifactNames: string[];
    sourceRevision?: SourceRevisionOverride;
    timeoutAt: string;
    at: string;
  }
>;

/** A manual approval waits for PutApprovalResult with this token until expiresAt. */
export type ApprovalRequested = Event<
  'ApprovalRequested',
  {
    stageName: string;
    actionName: string;
    attempt: number;
    actionExecutionId: string;
    actionTypeId: ActionTypeId;
    runOrder: number;
    configuration: Record<string, string>;
    token: string;
    expiresAt: string;
    at: string;
  }
>;

export type JobAcknowledged = Event<'JobAcknowledged', { stageName: string; actionName: string; jobId: string; at: string }>;

export type JobHeartbeatRecorded = Event<'JobHeartbeatRecorded', { stageName: string; actionName: string; jobId: string; at: string }>;

/** The job is handed out again with the worker's continuation token; it counts as a heartbeat. */
export type JobContinued = Event<'JobContinued', { stageName: string; actionName: string; jobId: string; continuationToken: string; summary?: string; at: string }>;

export type ActionExecutionSucceeded = Event<
  'ActionExecutionSucceeded',
  {
    stageName: string;
    actionName: string;
    attempt: number;
    outputArtifacts: ArtifactRef[];
    outputVariables: Record<string, string>;
    summary?: string;
    externalExecutionId?: string;
    externalExecutionUrl?: string;
    currentRevision?: CurrentRevision;
    updatedBy?: string;
    at: string;
  }
>;

/**
 * An attempt failed: reported by its worker, timed out, rejected, or (with no prior start event)
 * refused at dispatch because its configuration could not be resolved.
 */
export type ActionExecutionFailed = Event<
  'ActionExecutionFailed',
  {
    stageName: string;
    actionName: string;
    attempt: number;
    actionExecutionId: string;
    runOrder: number;
    errorDetails: ErrorDetails;
    /** True when the orchestrator failed it (timeout, heartbeat): the worker may still be running it. */
    cancelJob?: boolean;
    summary?: string;
    externalExecutionId?: string;
    updatedBy?: string;
    at: string;
  }
>;

export type ActionRetryScheduled = Event<'ActionRetryScheduled', { stageName: string; actionName: string; attempt: number; fireAt: string; at: string }>;

export type ActionExecutionAbandoned = Event<'ActionExecutionAbandoned', { stageName: string; actionName: string; attempt: number; reason?: string; at: string }>;

export type StageExecutionSucceeded = Event<'StageExecutionSucceeded', { stageName: string; at: string }>;
export type StageExecutionFailed = Event<'StageExecutionFailed', { stageName: string; at: string }>;
export type StageExecutionStopped = Event<'StageExecutionStopped', { stageName: string; at: string }>;

export type PipelineExecutionSucceeded = Event<'PipelineExecutionSucceeded', { at: string }>;
export type PipelineExecutionFailed = Event<'PipelineExecutionFailed', { statusSummary: string; at: string }>;
export type PipelineExecutionStopping = Event<'PipelineExecutionStopping', { abandon: boolean; reason?: string; at: string }>;
export type PipelineExecutionStopped = Event<'PipelineExecutionStopped', { reason?: string; at: string }>;
export type PipelineExecutionSuperseded = Event<'PipelineExecutionSuperseded', { supersededBy: string; at: string }>;

export type ExecutionEvent =
  | PipelineExecutionStarted
  | StageEntryRequested
  | StageExecutionStarted
  | ActionExecutionStarted
  | ApprovalRequested
  | JobAcknowledged
  | JobHeartbeatRecorded
  | JobContinued
  | ActionExecutionSucceeded
  | ActionExecutionFailed
  | ActionRetryScheduled
  | ActionExecutionAbandoned
  | StageExecutionSucceeded
  | StageExecutionFailed
  | StageExecutionStopped
  | PipelineExecutionSucceeded
  | PipelineExecutionFailed
  | PipelineExecutionStopping
  | PipelineExecutionStopped
  | PipelineExecutionSuperseded;

/** Builds an execution event with canonical data. */
export const executionEvent = eventFactory<ExecutionEvent>();
