import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { DomainError, DomainErrorCode } from '@pipewright/decider';
import { Observable, throwError } from 'rxjs';

/** A validation problem as every INVALID_ARGUMENT carries it: where, and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

/**
 * Trailing metadata key holding the problems as JSON, so clients get every problem with its path
 * without parsing the message. The message repeats them readably for people.
 */
export const PROBLEMS_METADATA_KEY = 'pipewright-problems';

const codes: Record<DomainErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  ABORTED: GrpcStatus.ABORTED,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
};

export interface GrpcError {
  code: GrpcStatus;
  message: string;
  details: string;
  metadata: Metadata;
}

function problemsOf(error: DomainError): Problem[] | undefined {
  const problems = error.details.problems;
  return Array.isArray(problems) ? (problems as Problem[]) : undefined;
}

/** The one place domain errors become gRPC statuses. */
export function toGrpcError(error: unknown): GrpcError {
  const metadata = new Metadata();
  if (error instanceof DomainError) {
    const problems = problemsOf(error);
    let message = error.message;
    if (problems?.length) {
      metadata.set(PROBLEMS_METADATA_KEY, JSON.stringify(problems));
      message += ': ' + problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    }
    metadata.set('pipewright-error', error.name);
    return { code: codes[error.code], message, details: message, metadata };
  }
  if (error instanceof RpcException) {
    const inner = error.getError() as { code?: GrpcStatus; message?: string } | string;
    const code = typeof inner === 'object' && inner.code !== undefined ? inner.code : GrpcStatus.UNKNOWN;
    const message = typeof inner === 'object' ? (inner.message ?? '') : inner;
    return { code, message, details: message, metadata };
  }
  if (isGrpcError(error)) return { code: error.code, message: error.details ?? error.message, details: error.details ?? error.message, metadata };
  return { code: GrpcStatus.INTERNAL, message: 'internal error', details: 'internal error', metadata };
}

function isGrpcError(error: unknown): error is { code: GrpcStatus; details?: string; message: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number' && 'message' in error;
}

/** Global filter for every gRPC handler: unexpected errors are logged (with stack) and hidden from callers. */
@Catch()
export class GrpcErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('grpc');

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const error = toGrpcError(exception);
    if (error.code === GrpcStatus.INTERNAL) this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    return throwError(() => error);
  }
}
