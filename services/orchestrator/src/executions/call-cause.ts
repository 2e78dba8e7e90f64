import { randomUUID } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { callerAccess } from '@pipewright/service-kit';
import { Cause } from './execution-engine';

/**
 * The event metadata of a gRPC call: the operation with a fresh request id (calls carry none) and
 * the caller the auth guard identified (`anonymous` when authentication is off).
 */
export function callCause(metadata: Metadata | undefined, operation: string): Cause {
  return { causationId: `grpc:${operation}:${randomUUID()}`, actor: callerAccess(metadata)?.identity.subject ?? 'anonymous' };
}
