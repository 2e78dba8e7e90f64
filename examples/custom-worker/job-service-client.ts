import { loadPackageDefinition, Metadata, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';
import { clientChannel } from '@pipewright/service-kit';

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
    /** With PIPEWRIGHT_AUTH=required: the bearer token for this job's own calls (acknowledge, results). */
    jobToken: string;
  };
}

export interface FailureDetails {
  type: 'JobFailed' | 'ConfigurationError' | 'PermissionError' | 'RevisionOutOfSync' | 'RevisionUnavailable' | 'SystemUnavailable';
  message: string;
  externalExecutionId?: string;
}

type Callback = (error: ServiceError | null, response: any) => void;
type Stub = Record<string, (request: unknown, metadata: Metadata, options: { deadline: number }, callback: Callback) => void> & { close(): void };

/**
 * A thin promise wrapper over the JobService stub, loaded from the repository's proto files: any
 * language with a gRPC library can do the same from proto/pipewright/job/v1/job_service.proto.
 * `token` is the worker's own bearer token (a service account with the worker role) for polling;
 * each job's calls carry that job's token instead, when it has one.
 */
export class JobServiceClient {
  private readonly stub: Stub;

  constructor(
    address: string,
    private readonly token?: string,
  ) {
    const proto = protoFiles.JobService;
    let node: any = loadPackageDefinition(loadSync([...proto.protoPath], protoLoaderOptions));
    for (const part of `${proto.package}.${proto.service}`.split('.')) node = node[part];
    // Plaintext, or mutual TLS with PIPEWRIGHT_TLS_CERT_FILE / _KEY_FILE / _CA_FILE (docs/security.md).
    const channel = clientChannel();
    this.stub = new node(address, channel.credentials, channel.options);
  }

  /** Long poll: the orchestrator holds the call (about 20 s) until a job of the type waits. */
  async pollForJobs(actionTypeId: ActionTypeId, maxBatchSize: number, queryParam: Record<string, string>): Promise<Job[]> {
    const response = await this.call('PollForJobs', { actionTypeId, maxBatchSize, queryParam }, 60_000);
    return response.jobs as Job[];
  }

  async acknowledgeJob(job: Job): Promise<string> {
    return (await this.call('AcknowledgeJob', { jobId: job.id, nonce: job.nonce }, 30_000, job.data.jobToken)).status as string;
  }

  async putJobSuccessResult(job: Job, result: { summary: string; outputVariables?: Record<string, string>; continuationToken?: string }): Promise<void> {
    const jobId = job.id;
    await this.call('PutJobSuccessResult', {
      jobId,
      executionDetails: { summary: result.summary, externalExecutionId: jobId },
      outputVariables: result.continuationToken ? {} : (result.outputVariables ?? {}),
      continuationToken: result.continuationToken ?? '',
    }, 30_000, job.data.jobToken);
  }

  async putJobFailureResult(job: Job, failureDetails: FailureDetails): Promise<void> {
    await this.call('PutJobFailureResult', { jobId: job.id, failureDetails }, 30_000, job.data.jobToken);
  }

  close(): void {
    this.stub.close();
  }

  private call(method: string, request: unknown, deadlineMs = 30_000, token = this.token): Promise<any> {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return new Promise((resolve, reject) =>
      this.stub[method].call(this.stub, request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) => (error ? reject(error) : resolve(response))),
    );
  }
}
