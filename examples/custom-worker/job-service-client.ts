import { credentials, loadPackageDefinition, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';

/** The JobService messages this worker uses, as proto-loader decodes them (camelCase fields). */
export interface ActionTypeId {
  category: string;
  owner: string;
  provider: string;
  version: string;
}

export interface Job {
  id: string;
  nonce: string;
  data: {
    actionTypeId: ActionTypeId;
    actionConfiguration: { configuration: Record<string, string> };
    pipelineContext: { pipelineName: string; pipelineExecutionId: string; stage: { name: string }; action: { name: string } };
    continuationToken: string;
    attempt: number;
  };
}

export interface FailureDetails {
  type: 'JobFailed' | 'ConfigurationError' | 'PermissionError' | 'RevisionOutOfSync' | 'RevisionUnavailable' | 'SystemUnavailable';
  message: string;
  externalExecutionId?: string;
}

type Callback = (error: ServiceError | null, response: any) => void;
type Stub = Record<string, (request: unknown, options: { deadline: number }, callback: Callback) => void> & { close(): void };

/**
 * A thin promise wrapper over the JobService stub, loaded from the repository's proto files: any
 * language with a gRPC library can do the same from proto/pipewright/job/v1/job_service.proto.
 */
export class JobServiceClient {
  private readonly stub: Stub;

  constructor(address: string) {
    const proto = protoFiles.JobService;
    let node: any = loadPackageDefinition(loadSync([...proto.protoPath], protoLoaderOptions));
    for (const part of `${proto.package}.${proto.service}`.split('.')) node = node[part];
    this.stub = new node(address, credentials.createInsecure());
  }

  /** Long poll: the orchestrator holds the call (about 20 s) until a job of the type waits. */
  async pollForJobs(actionTypeId: ActionTypeId, maxBatchSize: number, queryParam: Record<string, string>): Promise<Job[]> {
    const response = await this.call('PollForJobs', { actionTypeId, maxBatchSize, queryParam }, 60_000);
    return response.jobs as Job[];
  }

  async acknowledgeJob(jobId: string, nonce: string): Promise<string> {
    return (await this.call('AcknowledgeJob', { jobId, nonce })).status as string;
  }

  async putJobSuccessResult(jobId: string, result: { summary: string; outputVariables?: Record<string, string>; continuationToken?: string }): Promise<void> {
    await this.call('PutJobSuccessResult', {
      jobId,
      executionDetails: { summary: result.summary, externalExecutionId: jobId },
      outputVariables: result.continuationToken ? {} : (result.outputVariables ?? {}),
      continuationToken: result.continuationToken ?? '',
    });
  }

  async putJobFailureResult(jobId: string, failureDetails: FailureDetails): Promise<void> {
    await this.call('PutJobFailureResult', { jobId, failureDetails });
  }

  close(): void {
    this.stub.close();
  }

  private call(method: string, request: unknown, deadlineMs = 30_000): Promise<any> {
    return new Promise((resolve, reject) => this.stub[method].call(this.stub, request, { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response))));
  }
}
