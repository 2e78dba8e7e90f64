import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { commonV1, errorMetadataKeys } from '@pipewright/contracts';
import { DomainError, DomainErrorCode, type Problem } from '@pipewright/decider';
import { Observable, of, throwError } from 'rxjs';

export type { Problem };

const codes: Record<DomainErrorCode, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  ABORTED: GrpcStatus.ABORTED,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  DATA_LOSS: GrpcStatus.DATA_LOSS,
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

/** Reads the problems back out of a failed call's trailing metadata (clients, tests, the CLI). */
export function problemsFromMetadata(metadata: Metadata | undefined): Problem[] {
  const raw = metadata?.get(errorMetadataKeys.problems)[0];
  if (!raw || typeof raw === 'string') return [];
  return commonV1.ValidationProblems.decode(raw).problems;
}

/** The one place domain errors become gRPC statuses. */
export function toGrpcError(error: unknown): GrpcError {
  const metadata = new Metadata();
  if (error instanceof DomainError) {
    const problems = problemsOf(error);
    let message = error.message;
    if (problems?.length) {
      // Every problem with its path, for programs; the message repeats them, one per line, for people.
      metadata.set(errorMetadataKeys.problems, Buffer.from(commonV1.ValidationProblems.encode({ problems }).finish()));
      message += '\n' + problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    }
    metadata.set(errorMetadataKeys.errorCode, error.name);
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

  catch(exception: unknown, host: ArgumentsHost): Observable<never | undefined> {
    const error = toGrpcError(exception);
    if (error.code === GrpcStatus.INTERNAL) this.logger.error(exception instanceof Error ? exception.stack ?? exception.message : String(exception));
    // A raw stream call (GrpcStreamCall) refused before its handler ran (the auth guard): Nest drops
    // the error of such a call, so it is answered here, on the call itself.
    const [call, callback] = host.getArgs<[unknown, unknown]>();
    if (isRawCall(call)) {
      if (typeof callback === 'function') (callback as (e: GrpcError, r: null) => void)(error, null);
      else if (host.getArgs().length === 1) call.emit('error', error);
      else return throwError(() => error);
      return of(undefined);
    }
    return throwError(() => error);
  }
}

function isRawCall(value: unknown): value is { getPeer(): string; emit(event: 'error', error: GrpcError): void } {
  return typeof value === 'object' && value !== null && typeof (value as { getPeer?: unknown }).getPeer === 'function' && typeof (value as { emit?: unknown }).emit === 'function';
}
