import { Metadata } from '@grpc/grpc-js';
import { GrpcClient, ServiceName } from '@pipewright/service-kit';
import { ServiceName as ContractService } from '@pipewright/contracts';
import { OutputFormat } from './output';

/** What every command gets: where the services are, how to print, and clients made on demand. */
export class CliContext {
  private readonly clients = new Map<string, GrpcClient>();

  constructor(
    readonly address: (service: ServiceName) => string,
    readonly output: OutputFormat,
    readonly deadlineMs: number,
    /** Sent as `authorization: Bearer …` on every call (--auth-token or PIPEWRIGHT_TOKEN; docs/security.md). */
    private readonly bearerToken?: string,
  ) {}

  client(contract: ContractService): GrpcClient {
    const owner: Record<ContractService, ServiceName> = {
      PipelineService: 'pipeline-definition',
      ExecutionService: 'orchestrator',
      JobService: 'orchestrator',
      JobLogService: 'job-worker',
      ArtifactService: 'artifact',
      NotificationService: 'notification',
      IdentityService: 'pipeline-definition',
      SecretService: 'pipeline-definition',
    };
    let client = this.clients.get(contract);
    if (!client) this.clients.set(contract, (client = new GrpcClient(contract, this.address(owner[contract]), this.deadlineMs, () => this.metadata())));
    return client;
  }

  metadata(): Metadata {
    const metadata = new Metadata();
    if (this.bearerToken) metadata.set('authorization', `Bearer ${this.bearerToken}`);
    return metadata;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}
