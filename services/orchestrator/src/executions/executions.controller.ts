import { InvalidRequest, pageSize } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { callerAccess } from '@pipewright/service-kit';
import { executionV1, timestampFromDate } from '@pipewright/contracts';
import { pipelineExecutionView, SourceRevisionOverride } from '@pipewright/execution-domain';
import { RetryMode } from '@pipewright/pipeline-model';
import { callCause } from './call-cause';
import { ExecutionsHandler } from './executions.handler';
import { executionSummaryMessage, pipelineExecutionMessage, stageStateMessages } from './views';

type Request<K extends keyof executionV1.ExecutionServiceController> = Parameters<executionV1.ExecutionServiceController[K]>[0];

function required(value: string | null | undefined, path: string): string {
  if (!value) throw InvalidRequest.at(path, `${path} is required`);
  return value;
}

function oneOf<T extends string>(value: string | null | undefined, allowed: readonly T[], path: string): T {
  const found = allowed.find((a) => a === value);
  if (!found) throw InvalidRequest.at(path, `${path} must be one of ${allowed.join(', ')}${value ? `, not "${value}"` : ''}`);
  return found;
}

/** Paging: next_token is how many items earlier pages returned. */
function pageOffset(nextToken: string | null | undefined): number {
  const offset = nextToken ? Number(nextToken) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw InvalidRequest.at('next_token', 'next_token is not one this service issued');
  return offset;
}

/** gRPC adapter of ExecutionService: proto messages in and out, nothing else. */
@Controller()
export class ExecutionsController implements Partial<executionV1.ExecutionServiceController> {
  constructor(private readonly handler: ExecutionsHandler) {}

  @GrpcMethod('ExecutionService')
  async startPipelineExecution(request: Request<'startPipelineExecution'>, metadata?: Metadata): Promise<executionV1.StartPipelineExecutionResponse> {
    const pipelineExecutionId = await this.handler.start({
      cause: callCause(metadata, 'StartPipelineExecution'),
      pipelineName: required(request.name, 'name'),
      trigger: { triggerType: 'StartPipelineExecution' },
      variables: request.variables ?? [],
      sourceRevisions: (request.sourceRevisions ?? []) as SourceRevisionOverride[],
      idempotencyKey: request.clientRequestToken || undefined,
    });
    return { pipelineExecutionId };
  }

  @GrpcMethod('ExecutionService')
  async stopPipelineExecution(request: Request<'stopPipelineExecution'>, metadata?: Metadata): Promise<executionV1.StopPipelineExecutionResponse> {
    const id = required(request.pipelineExecutionId, 'pipeline_execution_id');
    await this.handler.stop(required(request.pipelineName, 'pipeline_name'), id, request.abandon ?? false, request.reason || undefined, callCause(metadata, 'StopPipelineExecution'));
    return { pipelineExecutionId: id };
  }

  @GrpcMethod('ExecutionService')
  async retryStageExecution(request: Request<'retryStageExecution'>, metadata?: Metadata): Promise<executionV1.RetryStageExecutionResponse> {
    const id = required(request.pipelineExecutionId, 'pipeline_execution_id');
    const mode = oneOf<RetryMode>(request.retryMode, ['FAILED_ACTIONS', 'ALL_ACTIONS'], 'retry_mode');
    await this.handler.retry(required(request.pipelineName, 'pipeline_name'), id, required(request.stageName, 'stage_name'), mode, callCause(metadata, 'RetryStageExecution'));
    return { pipelineExecutionId: id };
  }

  @GrpcMethod('ExecutionService')
  async rollbackStage(request: Request<'rollbackStage'>, metadata?: Metadata): Promise<executionV1.RollbackStageResponse> {
    const pipelineExecutionId = await this.handler.rollback(
      required(request.pipelineName, 'pipeline_name'),
      required(request.stageName, 'stage_name'),
      required(request.targetPipelineExecutionId, 'target_pipeline_execution_id'),
      callCause(metadata, 'RollbackStage'),
    );
    return { pipelineExecutionId };
  }

  @GrpcMethod('ExecutionService')
  async listActionExecutions(request: Request<'listActionExecutions'>): Promise<executionV1.ListActionExecutionsResponse> {
    const limit = pageSize(request.maxResults, 100);
    const offset = pageOffset(request.nextToken);
    const all = await this.handler.actionExecutions(required(request.pipelineName, 'pipeline_name'), request.filter?.pipelineExecutionId || undefined);
    return { actionExecutionDetails: all.slice(offset, offset + limit), nextToken: all.length > offset + limit ? String(offset + limit) : '' };
  }

  @GrpcMethod('ExecutionService')
  async putApprovalResult(request: Request<'putApprovalResult'>, metadata?: Metadata): Promise<executionV1.PutApprovalResultResponse> {
    const status = oneOf(request.result?.status, ['Approved', 'Rejected'] as const, 'result.status');
    await this.handler.putApprovalResult(
      required(request.pipelineName, 'pipeline_name'),
      required(request.stageName, 'stage_name'),
      required(request.actionName, 'action_name'),
      required(request.token, 'token'),
      { status, summary: request.result?.summary || undefined },
      // Who approved, as the auth guard identified the caller (docs/security.md); absent when auth is off.
      callerAccess(metadata)?.identity.subject,
      callCause(metadata, 'PutApprovalResult'),
    );
    return { approvedAt: timestampFromDate(new Date()) };
  }

  @GrpcMethod('ExecutionService')
  async enableStageTransition(request: Request<'enableStageTransition'>, metadata?: Metadata): Promise<executionV1.EnableStageTransitionResponse> {
    const type = oneOf(request.transitionType, ['Inbound', 'Outbound'] as const, 'transition_type');
    await this.handler.setTransition(required(request.pipelineName, 'pipeline_name'), required(request.stageName, 'stage_name'), type, { enabled: true }, callCause(metadata, 'EnableStageTransition'));
    return {};
  }

  @GrpcMethod('ExecutionService')
  async disableStageTransition(request: Request<'disableStageTransition'>, metadata?: Metadata): Promise<executionV1.DisableStageTransitionResponse> {
    const type = oneOf(request.transitionType, ['Inbound', 'Outbound'] as const, 'transition_type');
    const reason = required(request.reason, 'reason');
    await this.handler.setTransition(
      required(request.pipelineName, 'pipeline_name'),
      required(request.stageName, 'stage_name'),
      type,
      { enabled: false, reason },
      callCause(metadata, 'DisableStageTransition'),
    );
    return {};
  }

  @GrpcMethod('ExecutionService')
  async getPipelineExecution(request: Request<'getPipelineExecution'>): Promise<executionV1.GetPipelineExecutionResponse> {
    const state = await this.handler.get(required(request.pipelineName, 'pipeline_name'), required(request.pipelineExecutionId, 'pipeline_execution_id'));
    return { pipelineExecution: pipelineExecutionMessage(pipelineExecutionView(state)!.pipelineExecution) };
  }

  @GrpcMethod('ExecutionService')
  async listPipelineExecutions(request: Request<'listPipelineExecutions'>): Promise<executionV1.ListPipelineExecutionsResponse> {
    const limit = pageSize(request.maxResults, 100);
    const offset = pageOffset(request.nextToken);
    const rows = await this.handler.list(required(request.pipelineName, 'pipeline_name'), offset, limit + 1, request.filter?.succeededInStage?.stageName || undefined);
    const page = rows.slice(0, limit);
    return { pipelineExecutionSummaries: page.map(executionSummaryMessage), nextToken: rows.length > limit ? String(offset + limit) : '' };
  }

  @GrpcMethod('ExecutionService')
  async getPipelineState(request: Request<'getPipelineState'>): Promise<executionV1.GetPipelineStateResponse> {
    const name = required(request.name, 'name');
    const { pipeline, lanes, executions } = await this.handler.pipelineState(name);
    return { pipelineName: name, pipelineVersion: pipeline.version, stageStates: stageStateMessages(pipeline.declaration, lanes, executions), created: pipeline.created, updated: pipeline.updated };
  }
}
