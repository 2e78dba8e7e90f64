import { spawn } from 'node:child_process';
import type { LineLog } from './line-log';
import { terminateGroup } from './process-group';

export interface RunProcessOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  readonly log: LineLog;
  /** Keep stdout out of the log (still captured), e.g. for git plumbing output. */
  readonly captureStdout?: boolean;
}

export interface ProcessResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly aborted: boolean;
  readonly stdout: string;
}

const CAPTURE_LIMIT = 1024 * 1024;

/**
 * Runs a program (no shell in between) as the leader of its own process group and streams its
 * output line by line. Abort ends the whole group; so does the leader's exit, so background
 * processes a command started do not outlive the job.
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  if (options.signal.aborted) return { exitCode: null, signal: null, aborted: true, stdout: '' };
  const child = spawn(options.file, options.args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    if (options.captureStdout) stdout = (stdout + text).slice(0, CAPTURE_LIMIT);
    else options.log.write('stdout', text);
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => options.log.write('stderr', text));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

  const pgid = child.pid;
  let terminating: Promise<void> | undefined;
  const terminate = () => (terminating ??= pgid === undefined ? Promise.resolve() : terminateGroup(pgid));
  options.signal.addEventListener('abort', terminate, { once: true });
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    await (terminating ?? terminateGroup(pgid!));
    await closed;
    options.log.end();
    return { exitCode: exit.code, signal: exit.signal, aborted: options.signal.aborted, stdout };
  } finally {
    options.signal.removeEventListener('abort', terminate);
  }
}
