import { InvalidRequest } from '@pipewright/decider';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { pipelineV1, Timestamp } from '@pipewright/contracts';
import { PipelineDeclaration, PipelineNotFound, readPipelineDocument } from '@pipewright/pipeline-model';
import { GrpcClient, serviceAddress } from '@pipewright/service-kit';

export interface PipelineVersion {
  declaration: PipelineDeclaration;
  version: number;
  /** When the pipeline was created and last updated, when pipeline-definition said. */
  created?: Timestamp;
  updated?: Timestamp;
}

/** A declaration as the contracts carry it, in the domain's shape (its proto3 JSON is CodePipeline's JSON). */
export function declarationFromMessage(message: pipelineV1.PipelineDeclaration | undefined, path: string): PipelineDeclaration {
  const read = readPipelineDocument(message ? pipelineV1.PipelineDeclaration.toJSON(pipelineV1.PipelineDeclaration.fromPartial(message)) : undefined);
  if (!read.declaration) throw InvalidRequest.at(path, read.problems.map((p) => `${p.path}: ${p.message}`).join('; ') || 'a pipeline declaration is required');
  return read.declaration;
}

/**
 * The pipelines' latest declarations, asked of pipeline-definition over gRPC: the owner answers,
 * so a start never runs a declaration this service has not heard of yet.
 */
@Injectable()
export class PipelineDeclarations implements OnModuleDestroy {
  private readonly client = new GrpcClient('PipelineService', serviceAddress('pipeline-definition'), 10_000);

  async latest(name: string): Promise<PipelineVersion> {
    let response: pipelineV1.GetPipelineResponse;
    try {
      response = await this.client.call<pipelineV1.GetPipelineResponse>('GetPipeline', { name });
    } catch (error) {
      if ((error as { code?: number }).code === status.NOT_FOUND) throw new PipelineNotFound(`pipeline ${name} not found`, { name });
      throw error;
    }
    const declaration = declarationFromMessage(response.pipeline, 'pipeline');
    return { declaration, version: response.pipeline?.version || response.metadata?.version || 1, created: response.metadata?.created, updated: response.metadata?.updated };
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}
