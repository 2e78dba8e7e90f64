import { spawn } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FailureDetails } from './job-service-client';

/** What one pass over a job ends with: done (with output variables), more to do (a continuation token), or failed. */
export type Outcome =
  | { kind: 'succeeded'; summary: string; outputVariables: Record<string, string> }
  | { kind: 'continue'; summary: string; continuationToken: string }
  | { kind: 'failed'; failure: FailureDetails };

/** CodePipeline caps output variable values; keep what a command prints short. */
const MAX_VARIABLE = 1000;

/**
 * The worker's action, driven by the action's configuration (resolved by Pipewright at dispatch):
 * - `File` + `Message`: appends the message to the file. With `Steps` = N (> 1) it does it in N
 *   passes, one line each, reporting a continuation token between passes (a long-running job).
 * - `Command`: runs it with /bin/sh; exit 0 succeeds (output variables ExitCode and Output, the
 *   last line printed), any other exit fails the job with the end of what it wrote to stderr.
 */
export async function perform(configuration: Record<string, string>, continuationToken: string): Promise<Outcome> {
  const { File: file, Message: message, Command: command } = configuration;
  if (!file && !command) return configurationError('the configuration needs File (with Message) or Command');
  const outputVariables: Record<string, string> = {};
  const summaries: string[] = [];
  if (file) {
    if (message === undefined) return configurationError('File needs a Message to write');
    const steps = Number(configuration['Steps'] ?? '1');
    if (!Number.isInteger(steps) || steps < 1) return configurationError(`Steps must be a whole number of at least 1, not "${configuration['Steps']}"`);
    const done = continuationToken ? Number(/^step:(\d+)$/.exec(continuationToken)?.[1] ?? NaN) : 0;
    if (!Number.isInteger(done)) return { kind: 'failed', failure: { type: 'JobFailed', message: `continuation token "${continuationToken}" is not one this worker issued` } };
    const path = resolve(file);
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, steps > 1 ? `${message} (step ${done + 1} of ${steps})\n` : `${message}\n`);
    if (done + 1 < steps) return { kind: 'continue', summary: `step ${done + 1} of ${steps} written to ${path}`, continuationToken: `step:${done + 1}` };
    outputVariables['File'] = path;
    outputVariables['StepsDone'] = String(steps);
    summaries.push(`wrote ${steps} line(s) to ${path}`);
  }
  if (command) {
    const run = await sh(command);
    if (run.code !== 0) return { kind: 'failed', failure: { type: 'JobFailed', message: `command exited with ${run.code}: ${run.stderr.trim().slice(-MAX_VARIABLE)}` } };
    outputVariables['ExitCode'] = '0';
    outputVariables['Output'] = run.stdout.trim().split('\n').at(-1)?.slice(0, MAX_VARIABLE) ?? '';
    summaries.push(`ran ${JSON.stringify(command)}`);
  }
  return { kind: 'succeeded', summary: summaries.join('; '), outputVariables };
}

const configurationError = (message: string): Outcome => ({ kind: 'failed', failure: { type: 'ConfigurationError', message } });

function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout = (stdout + chunk).slice(-64_000)));
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-64_000)));
    child.on('error', (error) => done({ code: 127, stdout, stderr: error.message }));
    child.on('close', (code, signal) => done({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}
