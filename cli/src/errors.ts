import { status } from '@grpc/grpc-js';
import { problemsFromMetadata } from '@pipewright/service-kit';
import { UsageError } from './config';

/** Exit codes scripts can rely on (documented in docs/cli.md). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  invalid: 4,
  conflict: 5,
  unavailable: 6,
  denied: 7,
} as const;

/** One readable line for any failure, never a stack trace, and the exit code that goes with it. */
export function describeFailure(error: unknown): { line: string; code: number } {
  if (error instanceof UsageError) return { line: `usage: ${error.message}`, code: ExitCode.usage };
  const e = error as { code?: number; details?: string; message?: string; metadata?: any; errno?: string };
  if (typeof e?.code === 'number' && e.details !== undefined) {
    const problems = problemsFromMetadata(e.metadata);
    const head = (e.details.split('\n')[0] || e.message || 'failed').trim();
    const detail = problems.length ? `: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}` : '';
    const name = status[e.code] ?? String(e.code);
    if (e.code === status.UNAVAILABLE) {
      const address = /connect \w+ ([\d.:[\]a-f]+)/.exec(e.details)?.[1] ?? 'its address';
      return { line: `${name}: cannot reach the service at ${address}: is Pipewright running (npm start)?`, code: ExitCode.unavailable };
    }
    return { line: `${name}: ${head}${detail}`, code: exitCodeFor(e.code) };
  }
  if (e?.errno === 'ENOENT' || (error as NodeJS.ErrnoException)?.code === 'ENOENT') return { line: `file not found: ${(error as NodeJS.ErrnoException).path}`, code: ExitCode.usage };
  return { line: error instanceof Error ? error.message : String(error), code: ExitCode.failed };
}

function exitCodeFor(code: number): number {
  switch (code) {
    case status.NOT_FOUND:
      return ExitCode.notFound;
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
      return ExitCode.invalid;
    case status.FAILED_PRECONDITION:
    case status.ABORTED:
    case status.ALREADY_EXISTS:
      return ExitCode.conflict;
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
      return ExitCode.unavailable;
    case status.PERMISSION_DENIED:
    case status.UNAUTHENTICATED:
      return ExitCode.denied;
    default:
      return ExitCode.failed;
  }
}
