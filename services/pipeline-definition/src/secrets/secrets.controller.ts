import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { securityV1, timestampFromDate } from '@pipewright/contracts';
import { callerAccess } from '@pipewright/service-kit';
import { SecretsHandler } from './secrets.handler';
import { SecretRow } from './secrets.repository';

const metadataOf = (s: SecretRow): securityV1.SecretMetadata => ({
  team: s.team,
  name: s.name,
  version: String(s.version),
  created: timestampFromDate(s.created),
  updated: timestampFromDate(s.updated),
});

/** gRPC adapter of SecretService. */
@Controller()
export class SecretsController implements securityV1.SecretServiceController {
  constructor(private readonly handler: SecretsHandler) {}

  @GrpcMethod('SecretService')
  async putSecret(request: securityV1.PutSecretRequest): Promise<securityV1.PutSecretResponse> {
    return { secret: metadataOf(await this.handler.put(request, new Date())) };
  }

  @GrpcMethod('SecretService')
  async deleteSecret(request: securityV1.DeleteSecretRequest): Promise<securityV1.DeleteSecretResponse> {
    await this.handler.delete(request);
    return {};
  }

  @GrpcMethod('SecretService')
  async listSecrets(request: securityV1.ListSecretsRequest): Promise<securityV1.ListSecretsResponse> {
    return { secrets: (await this.handler.list(request)).map(metadataOf) };
  }

  @GrpcMethod('SecretService')
  async resolveJobSecrets(request: securityV1.ResolveJobSecretsRequest, metadata?: Metadata): Promise<securityV1.ResolveJobSecretsResponse> {
    return { values: await this.handler.resolveForJob(request, { identity: callerAccess(metadata)?.identity }) };
  }
}
