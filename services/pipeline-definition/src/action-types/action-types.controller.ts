import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { pipelineV1 } from '@pipewright/contracts';
import { ActionCategory, ActionOwner, CustomActionType, ResolvedActionType } from '@pipewright/pipeline-model';
import { ActionTypesRepository } from './action-types.repository';
import { decideCreate, decideDelete } from './custom-action-types';

type Request<K extends keyof pipelineV1.PipelineServiceController> = Parameters<pipelineV1.PipelineServiceController[K]>[0];

function toMessage(type: ResolvedActionType): pipelineV1.ActionType {
  const d = type.definition;
  return {
    id: d.id,
    settings: undefined,
    actionConfigurationProperties: d.actionConfigurationProperties.map((p) => ({
      name: p.name,
      required: p.required,
      key: p.key,
      secret: p.secret,
      queryable: p.queryable ?? false,
      description: p.description ?? '',
      type: p.type ?? '',
    })),
    inputArtifactDetails: d.inputArtifactDetails,
    outputArtifactDetails: d.outputArtifactDetails,
    kind: type.kind,
  };
}

/** gRPC adapter of the action-type operations of PipelineService. */
@Controller()
export class ActionTypesController {
  constructor(private readonly repository: ActionTypesRepository) {}

  @GrpcMethod('PipelineService')
  async listActionTypes(request: Request<'listActionTypes'>): Promise<pipelineV1.ListActionTypesResponse> {
    const owner = (request.actionOwnerFilter || undefined) as ActionOwner | undefined;
    const registry = await this.repository.registry();
    return { actionTypes: registry.list({ owner }).map(toMessage), nextToken: '' };
  }

  @GrpcMethod('PipelineService')
  async createCustomActionType(request: Request<'createCustomActionType'>): Promise<pipelineV1.CreateCustomActionTypeResponse> {
    const actionType: CustomActionType = {
      category: request.category as ActionCategory,
      owner: 'Custom',
      provider: request.provider ?? '',
      version: request.version ?? '',
      configurationProperties: (request.configurationProperties ?? []).map((p) => ({
        name: p.name,
        required: p.required,
        key: p.key,
        secret: p.secret,
        queryable: p.queryable,
        description: p.description || undefined,
        type: (p.type || undefined) as 'String' | 'Number' | 'Boolean' | undefined,
      })),
      inputArtifactDetails: request.inputArtifactDetails ?? { minimumCount: -1, maximumCount: -1 },
      outputArtifactDetails: request.outputArtifactDetails ?? { minimumCount: -1, maximumCount: -1 },
    };
    await this.repository.change((state) => decideCreate(actionType, state, new Date().toISOString()));
    const created = (await this.repository.registry()).resolve({ ...actionType, owner: 'Custom' })!;
    return { actionType: toMessage(created), tags: request.tags ?? [] };
  }

  @GrpcMethod('PipelineService')
  async deleteCustomActionType(request: Request<'deleteCustomActionType'>): Promise<pipelineV1.DeleteCustomActionTypeResponse> {
    await this.repository.change((state) => decideDelete(request, state, new Date().toISOString()));
    return {};
  }
}
