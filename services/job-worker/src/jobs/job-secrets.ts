import { Metadata, ServiceError, status } from '@grpc/grpc-js';
import { JobFailure, SecretMasker, secretReferences, substituteSecrets } from '@pipewright/action-providers';
import { securityV1 } from '@pipewright/contracts';
import { GrpcClient, jobMetadata } from '@pipewright/service-kit';
import { JobSpec } from './job-request';

/** A job with its `#{secrets.name}` references replaced (in memory only), and the masker for everything it outputs. */
export interface JobWithSecrets {
  job: JobSpec;
  masker: SecretMasker;
}

type Stub = Record<string, (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (error: ServiceError | null, response: securityV1.ResolveJobSecretsResponse) => void) => void>;

/** Statuses that say the job (its configuration, its team's secrets) is wrong, not that the store is away. */
const CONFIGURATION_STATUSES = new Set([status.NOT_FOUND, status.INVALID_ARGUMENT, status.PERMISSION_DENIED, status.FAILED_PRECONDITION, status.UNAUTHENTICATED]);

/** Resolves a job's secrets with SecretService.ResolveJobSecrets, as the job itself (its job token) when it has one. */
export class JobSecrets {
  private readonly grpc: GrpcClient;

  constructor(address: string) {
    this.grpc = new GrpcClient('SecretService', address);
  }

  async resolve(job: JobSpec): Promise<JobWithSecrets> {
    const names = secretReferences([...Object.values(job.configuration), ...job.commands, ...Object.values(job.environmentVariables)]);
    if (!names.length) return { job, masker: new SecretMasker([]) };
    const request: securityV1.ResolveJobSecretsRequest = { jobId: job.jobId, pipelineName: job.pipelineContext.pipelineName, names };
    const response = await new Promise<securityV1.ResolveJobSecretsResponse>((resolve, reject) =>
      (this.grpc.stub as unknown as Stub).ResolveJobSecrets(request, jobMetadata(job.jobToken || undefined), { deadline: Date.now() + 30_000 }, (error, value) => (error ? reject(error) : resolve(value))),
    ).catch((error: ServiceError) => {
      const type = CONFIGURATION_STATUSES.has(error.code) ? 'ConfigurationError' : 'SystemUnavailable';
      throw new JobFailure(type, `the secrets ${names.join(', ')} could not be resolved: ${error.details || error.message}`);
    });
    const values = response.values;
    const missing = names.find((name) => !Object.hasOwn(values, name));
    if (missing) throw new JobFailure('ConfigurationError', `secret ${missing} could not be resolved`);
    const substitute = (text: string) => substituteSecrets(text, values);
    const substituteAll = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, substitute(v)]));
    return {
      job: { ...job, configuration: substituteAll(job.configuration), commands: job.commands.map(substitute), environmentVariables: substituteAll(job.environmentVariables) },
      masker: new SecretMasker(Object.values(values)),
    };
  }
}
