import { InvalidRequest, pageSize } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { canSee } from '@pipewright/security';
import { callerAccess, teamMetadataKey } from '@pipewright/service-kit';
import { IdentityRepository } from '../identity/identity.repository';
import { pipelineV1, timestampFromDate } from '@pipewright/contracts';
import { PipelineDeclaration, Tag } from '@pipewright/pipeline-model';
import { PipelinesHandler } from './pipelines.handler';

type Request<K extends keyof pipelineV1.PipelineServiceController> = Parameters<pipelineV1.PipelineServiceController[K]>[0];

const toMessage = (declaration: PipelineDeclaration) => pipelineV1.PipelineDeclaration.fromJSON(declaration);
const tagMap = (tags: readonly Tag[] | null | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));

/** A resource ARN as CodePipeline writes it (arn:…:codepipeline:region:account:name) or the bare name. */
function pipelineNameOf(resourceArn: string): string {
  if (!resourceArn) throw InvalidRequest.at('resource_arn', 'resource_arn is required');
  return resourceArn.startsWith('arn:') ? resourceArn.split(':').slice(5).join(':') : resourceArn;
}

function requireName(name: string | null | undefined, path = 'name'): string {
  if (!name) throw InvalidRequest.at(path, `${path} is required`);
  return name;
}

/** gRPC adapter of PipelineService: proto messages in and out, nothing else. */
@Controller()
export class PipelinesController implements Partial<pipelineV1.PipelineServiceController> {
  constructor(
    private readonly handler: PipelinesHandler,
    private readonly identities: IdentityRepository,
  ) {}

  @GrpcMethod('PipelineService')
  async createPipeline(request: Request<'createPipeline'>, metadata?: Metadata): Promise<pipelineV1.CreatePipelineResponse> {
    const accepted = await this.handler.accept(request);
    const tags = { ...tagMap(accepted.tags), ...tagMap(request.tags) };
    const [created] = await this.handler.execute(accepted.declaration.name, { type: 'CreatePipeline', data: { declaration: accepted.declaration, tags, now: new Date().toISOString() } });
    if (created.type !== 'PipelineCreated') throw new Error('CreatePipeline decided no PipelineCreated');
    // The owning team as the auth guard decided it (or as named when auth is off): docs/security.md.
    const named = metadata?.get(teamMetadataKey)[0];
    const team = callerAccess(metadata)?.resource.team ?? (typeof named === 'string' && named ? named : undefined);
    if (team) await this.identities.setOwner(accepted.declaration.name, team);
    return {
      pipeline: toMessage(created.data.declaration),
      tags: tagList(tags),
      warnings: accepted.warnings.map(({ path, message }) => ({ path, message })),
      actionsAwaitingWorker: accepted.awaitingWorker.map(({ stageName, actionName, actionTypeId }) => ({ stageName, actionName, actionTypeId })),
    };
  }

  @GrpcMethod('PipelineService')
  async getPipeline(request: Request<'getPipeline'>): Promise<pipelineV1.GetPipelineResponse> {
    const name = requireName(request.name);
    const { state, version } = await this.handler.get(name, request.version ?? undefined);
    const latest = state.versions[state.versions.length - 1];
    const awaiting = await this.handler.awaitingWorker(version.declaration);
    return {
      pipeline: toMessage(version.declaration),
      actionsAwaitingWorker: awaiting.map(({ stageName, actionName, actionTypeId }) => ({ stageName, actionName, actionTypeId })),
      metadata: { pipelineArn: `arn:pipewright:codepipeline:::${name}`, created: timestampFromDate(new Date(state.created)), updated: timestampFromDate(new Date(state.updated)), version: latest.version },
    };
  }

  @GrpcMethod('PipelineService')
  async updatePipeline(request: Request<'updatePipeline'>): Promise<pipelineV1.UpdatePipelineResponse> {
    const accepted = await this.handler.accept(request);
    const [updated] = await this.handler.execute(accepted.declaration.name, {
      type: 'UpdatePipeline',
      data: { declaration: accepted.declaration, expectedVersion: request.expectedVersion ?? undefined, now: new Date().toISOString() },
    });
    if (updated.type !== 'PipelineUpdated') throw new Error('UpdatePipeline decided no PipelineUpdated');
    return {
      pipeline: toMessage(updated.data.declaration),
      warnings: accepted.warnings.map(({ path, message }) => ({ path, message })),
      actionsAwaitingWorker: accepted.awaitingWorker.map(({ stageName, actionName, actionTypeId }) => ({ stageName, actionName, actionTypeId })),
    };
  }

  @GrpcMethod('PipelineService')
  async deletePipeline(request: Request<'deletePipeline'>): Promise<pipelineV1.DeletePipelineResponse> {
    const name = requireName(request.name);
    await this.handler.execute(name, { type: 'DeletePipeline', data: { name, now: new Date().toISOString() } });
    return {};
  }

  @GrpcMethod('PipelineService')
  async listPipelines(request: Request<'listPipelines'>, metadata?: Metadata): Promise<pipelineV1.ListPipelinesResponse> {
    const limit = pageSize(request.maxResults);
    // next_token: the last name of the previous page.
    const rows = await this.handler.list(request.nextToken ?? '', limit + 1);
    const page = rows.slice(0, limit);
    // Only what the caller may see; a page may come back shorter than max_results.
    const access = callerAccess(metadata);
    const owners = access ? await this.identities.owners(page.map((r) => r.name)) : undefined;
    const visible = access ? page.filter((r) => canSee(access.visibility, r.name, owners!.get(r.name))) : page;
    return {
      pipelines: visible.map((r) => ({ name: r.name, version: r.version, pipelineType: r.pipelineType, executionMode: r.executionMode, created: timestampFromDate(r.created), updated: timestampFromDate(r.updated) })),
      nextToken: rows.length > limit ? page[page.length - 1].name : '',
    };
  }

  @GrpcMethod('PipelineService')
  async listPipelineVersions(request: Request<'listPipelineVersions'>): Promise<pipelineV1.ListPipelineVersionsResponse> {
    const name = requireName(request.name);
    const limit = pageSize(request.maxResults);
    const { state } = await this.handler.get(name);
    const before = request.nextToken ? Number(request.nextToken) : Infinity;
    if (Number.isNaN(before)) throw InvalidRequest.at('next_token', 'next_token is not one this service issued');
    const newestFirst = [...state.versions].reverse().filter((v) => v.version < before);
    const page = newestFirst.slice(0, limit);
    return {
      pipelineVersions: page.map((v) => ({ version: v.version, created: timestampFromDate(new Date(v.created)) })),
      nextToken: newestFirst.length > limit ? String(page[page.length - 1].version) : '',
    };
  }

  @GrpcMethod('PipelineService')
  async tagResource(request: Request<'tagResource'>): Promise<pipelineV1.TagResourceResponse> {
    const name = pipelineNameOf(request.resourceArn);
    await this.handler.execute(name, { type: 'TagResource', data: { name, tags: tagMap(request.tags), now: new Date().toISOString() } });
    return {};
  }

  @GrpcMethod('PipelineService')
  async untagResource(request: Request<'untagResource'>): Promise<pipelineV1.UntagResourceResponse> {
    const name = pipelineNameOf(request.resourceArn);
    await this.handler.execute(name, { type: 'UntagResource', data: { name, tagKeys: request.tagKeys ?? [], now: new Date().toISOString() } });
    return {};
  }

  @GrpcMethod('PipelineService')
  async listTagsForResource(request: Request<'listTagsForResource'>): Promise<pipelineV1.ListTagsForResourceResponse> {
    const { state } = await this.handler.get(pipelineNameOf(request.resourceArn));
    return { tags: tagList(state.tags), nextToken: '' };
  }
}
