import { InvalidRequest } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { jobV1 } from '@pipewright/contracts';
import { ActionTypeId } from '@pipewright/pipeline-model';
import { callerAccess } from '@pipewright/service-kit';
import { callCause } from '../executions/call-cause';
import { FAILURE_TYPES } from './job-results';
import { JobsHandler } from './jobs.handler';

type Request<K extends keyof jobV1.JobServiceController> = Parameters<jobV1.JobServiceController[K]>[0];

const CATEGORIES = ['Source', 'Build', 'Test', 'Deploy', 'Approval', 'Invoke', 'Compute'];
const OWNERS = ['AWS', 'ThirdParty', 'Custom', 'Pipewright'];

function required(value: string | null | undefined, path: string): string {
  if (!value) throw InvalidRequest.at(path, `${path} is required`);
  return value;
}

function actionTypeIdOf(id: Request<'pollForJobs'>['actionTypeId']): ActionTypeId {
  const category = required(id?.category, 'action_type_id.category');
  const owner = required(id?.owner, 'action_type_id.owner');
  if (!CATEGORIES.includes(category)) throw InvalidRequest.at('action_type_id.category', `action_type_id.category must be one of ${CATEGORIES.join(', ')}`);
  if (!OWNERS.includes(owner)) throw InvalidRequest.at('action_type_id.owner', `action_type_id.owner must be one of ${OWNERS.join(', ')}`);
  return { category, owner, provider: required(id?.provider, 'action_type_id.provider'), version: required(id?.version, 'action_type_id.version') } as ActionTypeId;
}

/** The nonce of the caller's job token: a result sent with a stale attempt's token is refused like a stale nonce. */
const tokenNonce = (metadata: Metadata | undefined): string | undefined => callerAccess(metadata)?.identity.job?.nonce;

function batchSize(max: number | null | undefined): number {
  if (!max) return 1;
  if (max < 1 || max > 100) throw InvalidRequest.at('max_batch_size', 'max_batch_size must be between 1 and 100');
  return max;
}

/** gRPC adapter of JobService: proto messages in and out, nothing else. */
@Controller()
export class JobsController implements Partial<jobV1.JobServiceController> {
  constructor(private readonly handler: JobsHandler) {}

  @GrpcMethod('JobService')
  async pollForJobs(request: Request<'pollForJobs'>): Promise<jobV1.PollForJobsResponse> {
    const jobs = await this.handler.poll(actionTypeIdOf(request.actionTypeId), batchSize(request.maxBatchSize), request.queryParam ?? {});
    return { jobs: jobs.map((j) => ({ id: j.jobId, data: j.data, nonce: j.nonce })) };
  }

  @GrpcMethod('JobService')
  async acknowledgeJob(request: Request<'acknowledgeJob'>, metadata?: Metadata): Promise<jobV1.AcknowledgeJobResponse> {
    return { status: await this.handler.acknowledge(required(request.jobId, 'job_id'), required(request.nonce, 'nonce'), callCause(metadata, 'AcknowledgeJob')) };
  }

  @GrpcMethod('JobService')
  async getJobDetails(request: Request<'getJobDetails'>): Promise<jobV1.GetJobDetailsResponse> {
    const job = await this.handler.details(required(request.jobId, 'job_id'));
    return { jobDetails: { id: job.jobId, data: job.data } };
  }

  @GrpcMethod('JobService')
  async putJobSuccessResult(request: Request<'putJobSuccessResult'>, metadata?: Metadata): Promise<jobV1.PutJobSuccessResultResponse> {
    const report = {
      outputArtifacts: request.outputArtifacts ?? [],
      outputVariables: request.outputVariables ?? {},
      executionDetails: request.executionDetails,
      currentRevision: request.currentRevision,
    };
    await this.handler.succeed(required(request.jobId, 'job_id'), tokenNonce(metadata), report, request.continuationToken || undefined, callCause(metadata, 'PutJobSuccessResult'));
    return {};
  }

  @GrpcMethod('JobService')
  async putJobFailureResult(request: Request<'putJobFailureResult'>, metadata?: Metadata): Promise<jobV1.PutJobFailureResultResponse> {
    const details = request.failureDetails;
    const type = required(details?.type, 'failure_details.type');
    if (!FAILURE_TYPES.includes(type as never)) throw InvalidRequest.at('failure_details.type', `failure_details.type must be one of ${FAILURE_TYPES.join(', ')}`);
    await this.handler.fail(
      required(request.jobId, 'job_id'),
      tokenNonce(metadata),
      { ...details!, message: required(details?.message, 'failure_details.message') },
      callCause(metadata, 'PutJobFailureResult'),
    );
    return {};
  }
}
