import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { inputDir, JobFailure, type JobContext } from '../job';
import type { LineLog } from './line-log';
import { runProcess, type ProcessResult } from './run-process';

/**
 * The environment a job's commands see: nothing of the worker's own (it may hold secrets) beyond
 * PATH, plus CodeBuild's and Pipewright's variables describing the job.
 */
export async function jobEnvironment(job: JobContext): Promise<Record<string, string>> {
  const home = path.join(job.workspaceDir, 'home');
  const tmp = path.join(job.workspaceDir, 'tmp');
  await Promise.all([fs.mkdir(home, { recursive: true }), fs.mkdir(tmp, { recursive: true })]);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    LANG: 'C.UTF-8',
    CODEBUILD_BUILD_SUCCEEDING: '1',
    PIPEWRIGHT_JOB_ID: job.jobId,
    PIPEWRIGHT_PIPELINE_NAME: job.pipelineContext.pipelineName,
    PIPEWRIGHT_STAGE_NAME: job.pipelineContext.stageName,
    PIPEWRIGHT_ACTION_NAME: job.pipelineContext.actionName,
    PIPEWRIGHT_EXECUTION_ID: job.pipelineContext.pipelineExecutionId,
    ...job.environmentVariables,
  };
  job.inputArtifactNames.forEach((name, index) => {
    env[index === 0 ? 'CODEBUILD_SRC_DIR' : `CODEBUILD_SRC_DIR_${name}`] = inputDir(job, name);
  });
  return env;
}

export interface BashRun {
  readonly result: ProcessResult;
  /** The environment as the script left it (exported variables included). */
  readonly env: Record<string, string>;
}

const SHELL_INTERNALS = new Set(['PWD', 'OLDPWD', 'SHLVL', '_', 'PIPEWRIGHT_ENV_FILE']);

/**
 * Runs commands in one bash process with `set -e`; on exit, whatever the outcome, the shell
 * writes its environment back (exporting `exportNames` first) so the next phase starts from it.
 */
export async function runBash(job: JobContext, commands: readonly string[], options: { cwd: string; env: Record<string, string>; log: LineLog; exportNames?: readonly string[] }): Promise<BashRun> {
  const envFile = path.join(job.workspaceDir, 'tmp', `env-${process.hrtime.bigint()}`);
  const exportLine = options.exportNames?.length ? `export ${options.exportNames.join(' ')} 2>/dev/null; ` : '';
  const script = [
    `trap '__pw_status=$?; ${exportLine}env -0 > "$PIPEWRIGHT_ENV_FILE"; exit $__pw_status' EXIT`,
    `trap 'echo "[pipewright] command failed with exit code $?: $BASH_COMMAND" >&2' ERR`,
    'set -e',
    ...commands,
  ].join('\n');
  const result = await runProcess({ file: 'bash', args: ['-c', script], cwd: options.cwd, env: { ...options.env, PIPEWRIGHT_ENV_FILE: envFile }, signal: job.signal, log: options.log });
  const dumped = await fs.readFile(envFile, 'utf8').catch(() => undefined);
  await fs.rm(envFile, { force: true });
  const env = dumped === undefined ? options.env : parseEnv(dumped);
  return { result, env };
}

function parseEnv(dump: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of dump.split('\0')) {
    const equals = entry.indexOf('=');
    if (equals > 0 && !SHELL_INTERNALS.has(entry.slice(0, equals))) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

/** Why a job stopped early: its timeout or a stop request. */
export function abortFailure(job: JobContext): JobFailure {
  const reason: unknown = job.signal.reason;
  return new JobFailure('JobFailed', reason instanceof Error ? reason.message : 'the job was stopped');
}

/** A failed process becomes a JobFailed naming the exit code, with the end of its log. */
export function exitFailure(job: JobContext, what: string, result: ProcessResult, log: LineLog): JobFailure {
  if (result.aborted) return abortFailure(job);
  const how = result.exitCode !== null ? `exit code ${result.exitCode}` : `signal ${result.signal}`;
  return new JobFailure('JobFailed', `${what} failed with ${how}. Last lines of the log:\n${log.lastLines()}`);
}
