import { InvalidRequest } from '@pipewright/decider';
import { jobHeartbeatTimeoutSeconds } from '../config';
import { Injectable } from '@nestjs/common';
import {
  ExecutionCommand,
  ExecutionState,
  ExecutionTrigger,
  latestExecutionInStage,
  PipelineExecutionNotFound,
  PipelineVariable,
  SourceRevisionOverride,
  StageNotFound,
  StartedExecution,
} from '@pipewright/execution-domain';
import { PipelineDeclaration, RetryMode } from '@pipewright/pipeline-model';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Cause, CommandSource, ExecutionEngine, RunOptions, Unit } from './execution-engine';
import { ExecutionTables } from './execution-tables';
import { PipelineDeclarations } from './pipeline-declarations';
import { executionEvents, loadExecution, loadLanes } from './streams';
import { actionExecutionDetails } from './action-executions';

export interface StartRequest {
  pipelineName: string;
  /** The declaration to run; when absent, the pipeline's latest version is asked of pipeline-definition. */
  pipeline?: { declaration: PipelineDeclaration; version: number };
  trigger: ExecutionTrigger;
  variables: PipelineVariable[];
  sourceRevisions: SourceRevisionOverride[];
  /** Same token, same pipeline: the same execution. */
  idempotencyKey?: string;
  /** Runs first in the start's transaction (e.g. the inbox mark of a consumed request). */
  before?: RunOptions['before'];
  cause?: RunOptions['cause'];
}

/** A UUID-shaped id derived from the idempotency key, so a repeated start finds the stream already started. */
function executionIdFor(pipelineName: string, key: string | undefined): string {
  if (!key) return randomUUID();
  const h = createHash('sha256').update(`start\u001f${pipelineName}\u001f${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const now = () => new Date().toISOString();

/** ListActionExecutions without an execution filter looks this far back. */
const RECENT_EXECUTIONS = 20;

/** Every entry point (gRPC, Kafka consumers, timers) turns into these; behaviour lives once. */
@Injectable()
export class ExecutionsHandler {
  constructor(
    private readonly engine: ExecutionEngine,
    private readonly pipelines: PipelineDeclarations,
    private readonly tables: ExecutionTables,
    private readonly infrastructure: ServiceInfrastructure,
  ) {}

  async start(request: StartRequest): Promise<string> {
    const pipeline = request.pipeline ?? (await this.pipelines.latest(request.pipelineName));
    const pipelineExecutionId = executionIdFor(request.pipelineName, request.idempotencyKey);
    const command: ExecutionCommand = {
      type: 'StartPipelineExecution',
      data: {
        pipelineExecutionId,
        declaration: pipeline.declaration,
        pipelineVersion: pipeline.version,
        trigger: request.trigger,
        sourceRevisions: request.sourceRevisions,
        variables: request.variables,
        seed: randomBytes(16).toString('hex'),
        heartbeatTimeoutSeconds: jobHeartbeatTimeoutSeconds(),
        now: now(),
      },
    };
    await this.engine.run({ kind: 'execution', pipelineExecutionId, command }, { before: request.before, cause: request.cause, pipelineName: request.pipelineName });
    return pipelineExecutionId;
  }

  /** A command on an execution that must exist and belong to the named pipeline. */
  async onExecution(
    pipelineName: string,
    pipelineExecutionId: string,
    command: (s: StartedExecution, unit: Unit) => ExecutionCommand | Promise<ExecutionCommand>,
    cause?: Cause,
  ): Promise<StartedExecution> {
    const source: CommandSource = (unit, state) => command(this.belonging(state, pipelineName, pipelineExecutionId), unit);
    const unit = await this.engine.run({ kind: 'execution', pipelineExecutionId, command: source }, { cause, pipelineName });
    return unit!.executions.get(pipelineExecutionId)!.state as StartedExecution;
  }

  putApprovalResult(
    pipelineName: string,
    stageName: string,
    actionName: string,
    token: string,
    result: { status: 'Approved' | 'Rejected'; summary?: string },
    approvedBy?: string,
    cause?: Cause,
  ) {
    return this.withPendingApproval(pipelineName, stageName, actionName, (id) =>
      this.onExecution(pipelineName, id, () => ({ type: 'PutApprovalResult', data: { stageName, actionName, token, result, approvedBy, now: now() } }), cause),
    );
  }

  stop(pipelineName: string, pipelineExecutionId: string, abandon: boolean, reason: string | undefined, cause?: Cause) {
    return this.onExecution(pipelineName, pipelineExecutionId, () => ({ type: 'StopPipelineExecution', data: { abandon, reason, now: now() } }), cause);
  }

  retry(pipelineName: string, pipelineExecutionId: string, stageName: string, retryMode: RetryMode, cause?: Cause) {
    return this.onExecution(
      pipelineName,
      pipelineExecutionId,
      async (_s, unit) => {
        const lanes = await unit.lanesOf(pipelineName);
        return { type: 'RetryStageExecution', data: { stageName, retryMode, latestExecutionIdOfStage: latestExecutionInStage(lanes.state, stageName), now: now() } };
      },
      cause,
    );
  }

  /** An Outbound transition of a stage is the Inbound transition of the stage after it. */
  async setTransition(
    pipelineName: string,
    stageName: string,
    transitionType: 'Inbound' | 'Outbound',
    change: { enabled: true } | { enabled: false; reason: string },
    cause?: Cause,
  ): Promise<void> {
    const { declaration } = await this.pipelines.latest(pipelineName);
    const index = declaration.stages.findIndex((s) => s.name === stageName);
    if (index < 0) throw new StageNotFound(`Stage '${stageName}' does not exist in pipeline '${pipelineName}'`, { stageName });
    const target = transitionType === 'Inbound' ? declaration.stages[index] : declaration.stages[index + 1];
    if (!target) throw InvalidRequest.at('transition_type', `the last stage '${stageName}' has no Outbound transition`);
    const at = now();
    const command = change.enabled
      ? { type: 'EnableStageTransition' as const, data: { stageName: target.name, now: at } }
      : { type: 'DisableStageTransition' as const, data: { stageName: target.name, reason: change.reason, now: at } };
    await this.engine.run({ kind: 'lanes', pipelineName, command }, { cause, pipelineName });
  }

  /**
   * A new ROLLBACK execution of one stage with what the target execution had. It runs the target's
   * declaration, so the stage and artifacts it re-runs are exactly the ones that succeeded.
   */
  async rollback(pipelineName: string, stageName: string, targetPipelineExecutionId: string, cause?: Cause): Promise<string> {
    const target = await this.get(pipelineName, targetPipelineExecutionId);
    const pipelineExecutionId = randomUUID();
    const command: ExecutionCommand = {
      type: 'RollbackStage',
      data: {
        pipelineExecutionId,
        declaration: target.declaration,
        pipelineVersion: target.pipelineVersion,
        stageName,
        target,
        seed: randomBytes(16).toString('hex'),
        heartbeatTimeoutSeconds: jobHeartbeatTimeoutSeconds(),
        now: now(),
      },
    };
    await this.engine.run({ kind: 'execution', pipelineExecutionId, command }, { cause, pipelineName });
    return pipelineExecutionId;
  }

  /** Every action attempt of one execution, or of the pipeline's latest executions. */
  async actionExecutions(pipelineName: string, pipelineExecutionId: string | undefined) {
    const store = await this.infrastructure.store();
    const ids = pipelineExecutionId
      ? [(await this.get(pipelineName, pipelineExecutionId)).pipelineExecutionId]
      : (await this.tables.list(pipelineName, 0, RECENT_EXECUTIONS)).map((summary) => summary.pipelineExecutionId);
    const details = [];
    for (const id of ids) details.push(...actionExecutionDetails(await executionEvents(store, id)));
    return details;
  }

  async get(pipelineName: string, pipelineExecutionId: string): Promise<StartedExecution> {
    const store = await this.infrastructure.store();
    const { state } = await loadExecution(store, pipelineExecutionId, this.engine.cache);
    return this.belonging(state, pipelineName, pipelineExecutionId);
  }

  list(pipelineName: string, offset: number, limit: number, succeededInStage?: string) {
    return this.tables.list(pipelineName, offset, limit, succeededInStage);
  }

  /** GetPipelineState: the latest declaration, its transitions, and each stage's latest execution. */
  async pipelineState(pipelineName: string) {
    const pipeline = await this.pipelines.latest(pipelineName);
    const store = await this.infrastructure.store();
    const lanes = (await loadLanes(store, pipelineName, this.engine.cache)).state;
    const executions = new Map<string, ExecutionState>();
    for (const stage of pipeline.declaration.stages) {
      const id = latestExecutionInStage(lanes, stage.name);
      if (id && !executions.has(id)) executions.set(id, (await loadExecution(store, id, this.engine.cache)).state);
    }
    return { pipeline, lanes, executions };
  }

  private belonging(state: ExecutionState, pipelineName: string, pipelineExecutionId: string): StartedExecution {
    if (state.status === 'NotStarted' || state.pipelineName !== pipelineName) {
      throw new PipelineExecutionNotFound(`Execution ${pipelineExecutionId} of pipeline '${pipelineName}' does not exist`, { pipelineExecutionId });
    }
    return state;
  }

  /** PutApprovalResult names no execution: the approval waits in the stage's latest execution. */
  private async withPendingApproval<T>(pipelineName: string, stageName: string, actionName: string, act: (pipelineExecutionId: string) => Promise<T>): Promise<T> {
    const store = await this.infrastructure.store();
    const id = latestExecutionInStage((await loadLanes(store, pipelineName, this.engine.cache)).state, stageName);
    if (!id) throw new StageNotFound(`Stage '${stageName}' of pipeline '${pipelineName}' has no execution waiting for approval of '${actionName}'`, { stageName, actionName });
    return act(id);
  }
}
