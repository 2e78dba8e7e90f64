import { dateFromTimestamp, jobV1 } from '@pipewright/contracts';
import { CompleteJob, ExecutionState, FailJob, JobFailureType } from '@pipewright/execution-domain';

/**
 * A worker's report as CompleteJob / FailJob data, whether it came as a Kafka job event
 * (JobSucceeded, JobFailed) or through JobService (PutJobSuccessResult, PutJobFailureResult):
 * one translation, so both entry points mean the same thing.
 */
export interface SuccessReport {
  outputArtifacts: readonly jobV1.Artifact[];
  outputVariables: Record<string, string>;
  executionDetails?: jobV1.ExecutionDetails;
  currentRevision?: jobV1.CurrentRevision;
  externalExecutionUrl?: string;
}

export const FAILURE_TYPES: readonly JobFailureType[] = ['JobFailed', 'ConfigurationError', 'PermissionError', 'RevisionOutOfSync', 'RevisionUnavailable', 'SystemUnavailable'];

/** proto3 leaves unset strings empty; the domain wants them absent. */
const optional = (value: string | undefined | null) => (value ? value : undefined);

/**
 * The nonce a report is checked with: the one it carries, or, when it carries none (a worker
 * written before reports carried it), the one issued, so the job id alone identifies the attempt.
 */
export function reportedNonce(state: ExecutionState, jobId: string, given: string | undefined): string {
  if (given) return given;
  return state.status === 'NotStarted' ? '' : (state.jobs[jobId]?.nonce ?? '');
}

export function completeJobData(jobId: string, nonce: string, report: SuccessReport, now: string): CompleteJob['data'] {
  const revision = report.currentRevision;
  return {
    jobId,
    nonce,
    outputArtifacts: report.outputArtifacts.map((a) => ({ name: a.name, artifactId: a.location?.artifactId ?? '', sha256: a.location?.sha256 ?? '', sizeBytes: Number(a.location?.sizeBytes ?? 0) })),
    outputVariables: report.outputVariables,
    summary: optional(report.executionDetails?.summary),
    externalExecutionId: optional(report.executionDetails?.externalExecutionId),
    externalExecutionUrl: optional(report.externalExecutionUrl),
    currentRevision: revision?.revision
      ? {
          revision: revision.revision,
          changeIdentifier: optional(revision.changeIdentifier),
          created: revision.created ? dateFromTimestamp(revision.created).toISOString() : undefined,
          revisionSummary: optional(revision.revisionSummary),
        }
      : undefined,
    now,
  };
}

/** An unknown failure type is CodePipeline's generic JobFailed. */
export function failJobData(jobId: string, nonce: string, details: jobV1.FailureDetails | undefined, now: string): FailJob['data'] {
  const type = FAILURE_TYPES.find((t) => t === details?.type) ?? 'JobFailed';
  return { jobId, nonce, failureDetails: { type, message: details?.message || 'the job failed', externalExecutionId: optional(details?.externalExecutionId) }, now };
}
