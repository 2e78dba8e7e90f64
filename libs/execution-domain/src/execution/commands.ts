import type { Command } from '@pipewright/decider';
import type { PipelineDeclaration, RetryMode } from '@pipewright/pipeline-model';
import type { ArtifactRef, CurrentRevision, ExecutionTrigger, JobFailureType, PipelineVariable, SourceRevisionOverride } from './values';
import type { StartedExecution } from './state';

/** Every command carries `now` (ISO-8601): the domain never reads a clock. */
export type StartPipelineExecution = Command<
  'StartPipelineExecution',
  {
    pipelineExecutionId: string;
    /** The exact declaration of the version this execution runs, for its whole life. */
    declaration: PipelineDeclaration;
    pipelineVersion: number;
    trigger: ExecutionTrigger;
    sourceRevisions?: SourceRevisionOverride[];
    /** Overrides of the declared pipeline variables' defaults. */
    variables?: PipelineVariable[];
    /** Random bytes from the adapter; nonces and approval tokens are derived from it. */
    seed: string;
    /** The operator's heartbeat timeout for this execution's jobs (default JOB_HEARTBEAT_TIMEOUT_SECONDS). */
    heartbeatTimeoutSeconds?: number;
    now: string;
  }
>;

/** Starts a ROLLBACK execution that runs one stage with what an earlier successful execution had. */
export type RollbackStage = Command<
  'RollbackStage',
  {
    pipelineExecutionId: string;
    declaration: PipelineDeclaration;
    pipelineVersion: number;
    stageName: string;
    /** The target execution's folded state, loaded by the adapter. */
    target: StartedExecution;
    triggerType?: 'ManualRollback' | 'AutomatedRollback';
    seed: string;
    heartbeatTimeoutSeconds?: number;
    now: string;
  }
>;

/** From the lane coordinator: the stage lock (if any) is ours and the transition lets us in. */
export type EnterStage = Command<'EnterStage', { stageName: string; now: string }>;

export type AcknowledgeJob = Command<'AcknowledgeJob', { jobId: string; nonce: string; now: string }>;

export type RecordJobHeartbeat = Command<'RecordJobHeartbeat', { jobId: string; nonce: string; now: string }>;

/** A long job's worker reports progress with a continuation token: the action goes on with the job handed out again, carrying the token. */
export type ContinueJob = Command<'ContinueJob', { jobId: string; nonce: string; continuationToken: string; summary?: string; now: string }>;

export type CompleteJob = Command<
  'CompleteJob',
  {
    jobId: string;
    nonce: string;
    outputArtifacts: ArtifactRef[];
    outputVariables?: Record<string, string>;
    summary?: string;
    externalExecutionId?: string;
    externalExecutionUrl?: string;
    currentRevision?: CurrentRevision;
    now: string;
  }
>;

export type FailJob = Command<
  'FailJob',
  { jobId: string; nonce: string; failureDetails: { type: JobFailureType; message: string; externalExecutionId?: string }; now: string }
>;

/**
 * What a timer was scheduled for. Timers may fire late (after a restart) and more than once;
 * one that no longer matches the state (another attempt, a finished action) changes nothing.
 * ActionTimeout covers approvals too: their deadline is the action's timeout.
 */
export type TimerPayload =
  | { kind: 'ActionTimeout'; stageName: string; actionName: string; attempt: number }
  | { kind: 'RetryBackoff'; stageName: string; actionName: string; attempt: number }
  | { kind: 'HeartbeatExpiry'; jobId: string };

export type FireTimer = Command<'FireTimer', { timerId: string; payload: TimerPayload; now: string }>;

export type PutApprovalResult = Command<
  'PutApprovalResult',
  { stageName: string; actionName: string; token: string; result: { status: 'Approved' | 'Rejected'; summary?: string }; approvedBy?: string; now: string }
>;

export type RetryStageExecution = Command<
  'RetryStageExecution',
  {
    stageName: string;
    retryMode: RetryMode;
    /** The execution that last entered the stage, from the lane coordinator (`latestExecutionInStage`). */
    latestExecutionIdOfStage: string | undefined;
    now: string;
  }
>;

export type StopPipelineExecution = Command<'StopPipelineExecution', { abandon: boolean; reason?: string; now: string }>;

/** From the lane coordinator: a newer execution took this one's place at a stage. */
export type Supersede = Command<'Supersede', { supersededBy: string; now: string }>;

export type ExecutionCommand =
  | StartPipelineExecution
  | RollbackStage
  | EnterStage
  | AcknowledgeJob
  | RecordJobHeartbeat
  | ContinueJob
  | CompleteJob
  | FailJob
  | FireTimer
  | PutApprovalResult
  | RetryStageExecution
  | StopPipelineExecution
  | Supersede;
