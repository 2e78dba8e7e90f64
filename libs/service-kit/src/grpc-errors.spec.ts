import { status } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';
import { DomainError, InvalidRequest } from '@pipewright/decider';
import { problemsFromMetadata, toGrpcError } from './grpc-errors';

class InvalidPipeline extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}
class StageNotFailed extends DomainError {
  readonly code = 'FAILED_PRECONDITION' as const;
}

describe('toGrpcError', () => {
  it('maps a domain error to its code, with every problem in the message and the metadata', () => {
    const problems = [
      { path: 'pipeline.stages[0].name', message: 'must match [A-Za-z0-9.@\\-_]+' },
      { path: 'pipeline.stages', message: 'needs at least 2 stages' },
    ];
    const error = toGrpcError(new InvalidPipeline('the pipeline declaration is invalid', { problems }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.message).toContain('pipeline.stages[0].name: must match');
    expect(error.message).toContain('pipeline.stages: needs at least 2 stages');
    expect(problemsFromMetadata(error.metadata)).toEqual(problems);
    expect(error.metadata.get('pipewright-error-code')).toEqual(['InvalidPipeline']);
  });
  it('maps the shared InvalidRequest: its one problem, path first, in the message and the metadata', () => {
    const error = toGrpcError(InvalidRequest.at('metadata.expected_sha256', 'expected_sha256 must be 64 hex characters'));
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT, message: 'invalid request\nmetadata.expected_sha256: expected_sha256 must be 64 hex characters' });
    expect(problemsFromMetadata(error.metadata)).toEqual([{ path: 'metadata.expected_sha256', message: 'expected_sha256 must be 64 hex characters' }]);
    expect(error.metadata.get('pipewright-error-code')).toEqual(['InvalidRequest']);
  });
  it('maps a precondition failure without problems', () => {
    const error = toGrpcError(new StageNotFailed('stage Build has not failed'));
    expect(error).toMatchObject({ code: status.FAILED_PRECONDITION, message: 'stage Build has not failed' });
    expect(problemsFromMetadata(error.metadata)).toEqual([]);
  });
  it('keeps an RpcException code and message', () => {
    expect(toGrpcError(new RpcException({ code: status.NOT_FOUND, message: 'nope' }))).toMatchObject({ code: status.NOT_FOUND, message: 'nope' });
  });
  it('hides unexpected errors behind INTERNAL', () => {
    expect(toGrpcError(new TypeError('x is undefined'))).toMatchObject({ code: status.INTERNAL, message: 'internal error' });
  });
});
