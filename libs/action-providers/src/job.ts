import * as path from 'node:path';
import type { ActionTypeId } from '@pipewright/pipeline-model';

export type { ActionTypeId };

/** Where in a pipeline a job runs; variables and release names come from it. */
export interface PipelineContext {
  readonly pipelineName: string;
  readonly stageName: string;
  readonly actionName: string;
  readonly pipelineExecutionId: string;
}

export interface OutputArtifactSpec {
  readonly name: string;
  /** Compute/AWS/Commands declares its output files on the artifact itself. */
  readonly files?: readonly string[];
}

/**
 * Everything a provider gets to run one job. The caller has created `workspaceDir` and extracted
 * each input artifact under `workspaceDir/inputs/<name>/`; the first input is the primary one.
 */
export interface JobContext {
  readonly jobId: string;
  readonly actionTypeId: ActionTypeId;
  /** Configuration with variables already resolved. */
  readonly configuration: Readonly<Record<string, string>>;
  readonly workspaceDir: string;
  readonly inputArtifactNames: readonly string[];
  readonly outputArtifacts: readonly OutputArtifactSpec[];
  readonly pipelineContext: PipelineContext;
  /** The source revision the execution asked for (a commit id), when there is one. */
  readonly requestedRevision?: string;
  /** Compute/AWS/Commands: the action's `commands` and `outputVariables`. */
  readonly commands?: readonly string[];
  readonly outputVariableNames?: readonly string[];
  /** The action's environment variables, secrets already substituted. */
  readonly environmentVariables?: Readonly<Record<string, string>>;
  /** Fires on stop (abandon) and, through runJob, on timeout. */
  readonly signal: AbortSignal;
  readonly timeoutMillis: number;
  /** Receives the job's output as it streams. */
  log(chunk: string): void;
}

/** CodePipeline's FailureDetails.type values. */
export type FailureType = 'JobFailed' | 'ConfigurationError' | 'PermissionError' | 'RevisionOutOfSync' | 'RevisionUnavailable' | 'SystemUnavailable';

export interface JobSucceeded {
  readonly status: 'Succeeded';
  /** Output artifact name → directory to upload. */
  readonly outputDirs: Readonly<Record<string, string>>;
  readonly outputVariables: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly externalLink?: string;
}

export interface JobFailedOutcome {
  readonly status: 'Failed';
  readonly type: FailureType;
  readonly message: string;
}

export type JobOutcome = JobSucceeded | JobFailedOutcome;

export interface ActionProvider {
  supports(actionTypeId: ActionTypeId): boolean;
  run(job: JobContext): Promise<JobOutcome>;
}

/** Thrown inside providers; runJob turns it into a failed outcome of the given type. */
export class JobFailure extends Error {
  constructor(readonly type: FailureType, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export const configurationError = (message: string) => new JobFailure('ConfigurationError', message);

export function inputDir(job: JobContext, name: string): string {
  return path.join(job.workspaceDir, 'inputs', name);
}

export function primaryInputDir(job: JobContext): string {
  const [primary] = job.inputArtifactNames;
  if (primary === undefined) throw configurationError(`${job.actionTypeId.provider} needs an input artifact`);
  return inputDir(job, primary);
}

export function outputDir(job: JobContext, name: string): string {
  return path.join(job.workspaceDir, 'outputs', name);
}

/** Configuration keys are matched as declared; absent and blank are the same. */
export function optionalConfig(job: JobContext, key: string): string | undefined {
  const value = job.configuration[key];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function requiredConfig(job: JobContext, key: string): string {
  const value = optionalConfig(job, key);
  if (value === undefined) throw configurationError(`configuration ${key} is required`);
  return value;
}

export function integerConfig(job: JobContext, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = optionalConfig(job, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw configurationError(`configuration ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

export function succeeded(outcome: Omit<JobSucceeded, 'status'>): JobSucceeded {
  return { status: 'Succeeded', ...outcome };
}
