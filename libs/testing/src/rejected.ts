import type { ServiceError } from '@grpc/grpc-js';

/** The error a gRPC call failed with (status code, details, trailing metadata); fails the test when the call succeeded. */
export async function rejected(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}
