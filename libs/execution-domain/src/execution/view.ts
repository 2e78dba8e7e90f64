import type { ActionStatus, ExecutionState, ExecutionStatus, StageStatus } from './state';
import type { ErrorDetails, ExecutionMode, ExecutionTrigger, ExecutionType, SourceRevisionOverride } from './values';

/** The per-execution parts of GetPipelineExecution, ListPipelineExecutions and GetPipelineState, in CodePipeline's shapes. */
export interface PipelineExecutionView {
  pipelineExecution: {
    pipelineName: string;
    pipelineVersion: number;
    pipelineExecutionId: string;
    status: ExecutionStatus;
    statusSummary?: string;
    artifactRevisions: { name: string; revisionId: string; revisionChangeIdentifier?: string; revisionSummary?: string; created?: string }[];
    variables: { name: string; resolvedValue: string }[];
    trigger: ExecutionTrigger;
    executionMode: ExecutionMode;
    executionType: ExecutionType;
    rollbackMetadata?: { rollbackTargetPipelineExecutionId: string };
  };
  summary: {
    pipelineExecutionId: string;
    status: ExecutionStatus;
    statusSummary?: string;
    startTime: string;
    lastUpdateTime: string;
    sourceRevisions: SourceRevisionOverride[];
    trigger: ExecutionTrigger;
    stopTrigger?: { reason?: string };
    executionMode: ExecutionMode;
    executionType: ExecutionType;
  };
  stageStates: {
    stageName: string;
    latestExecution?: { pipelineExecutionId: string; status: StageStatus; type: ExecutionType };
    actionStates: {
      actionName: string;
      latestExecution?: {
        actionExecutionId: string;
        status: ActionStatus;
        summary?: string;
        lastStatusChange: string;
        token?: string;
        updatedBy?: string;
        externalExecutionId?: string;
        externalExecutionUrl?: string;
        errorDetails?: ErrorDetails;
      };
    }[];
  }[];
}

/** Pure projection of the folded state: folding the events and reading this equals GetPipelineExecution. */
export function pipelineExecutionView(state: ExecutionState): PipelineExecutionView | undefined {
  if (state.status === 'NotStarted') return undefined;
  const s = state;
  const artifactRevisions = s.declaration.stages.flatMap((stage) =>
    stage.actions.flatMap((action) => {
      const run = s.stages[stage.name]?.actions[action.name];
      const revision = run?.status === 'Succeeded' ? run.currentRevision : undefined;
      const name = action.outputArtifacts?.[0]?.name;
      if (!revision || !name) return [];
      return [{ name, revisionId: revision.revision, revisionChangeIdentifier: revision.changeIdentifier, revisionSummary: revision.revisionSummary, created: revision.created }];
    }),
  );
  return {
    pipelineExecution: {
      pipelineName: s.pipelineName,
      pipelineVersion: s.pipelineVersion,
      pipelineExecutionId: s.pipelineExecutionId,
      status: s.status,
      statusSummary: s.statusSummary,
      artifactRevisions,
      variables: s.variables.map((v) => ({ name: v.name, resolvedValue: v.value })),
      trigger: s.trigger,
      executionMode: s.executionMode,
      executionType: s.executionType,
      rollbackMetadata: s.rollback ? { rollbackTargetPipelineExecutionId: s.rollback.targetPipelineExecutionId } : undefined,
    },
    summary: {
      pipelineExecutionId: s.pipelineExecutionId,
      status: s.status,
      statusSummary: s.statusSummary,
      startTime: s.startTime,
      lastUpdateTime: s.lastUpdateTime,
      sourceRevisions: s.sourceRevisions,
      trigger: s.trigger,
      stopTrigger: s.stop ? { reason: s.stop.reason } : undefined,
      executionMode: s.executionMode,
      executionType: s.executionType,
    },
    stageStates: s.declaration.stages.map((stage) => {
      const run = s.stages[stage.name];
      return {
        stageName: stage.name,
        latestExecution: run ? { pipelineExecutionId: s.pipelineExecutionId, status: run.status, type: s.executionType } : undefined,
        actionStates: stage.actions.map((action) => {
          const a = run?.actions[action.name];
          return {
            actionName: action.name,
            latestExecution: a
              ? {
                  actionExecutionId: a.actionExecutionId,
                  status: a.status,
                  summary: a.summary,
                  lastStatusChange: a.lastUpdateTime,
                  token: a.kind === 'Approval' && a.status === 'InProgress' ? a.token : undefined,
                  updatedBy: a.updatedBy,
                  externalExecutionId: a.externalExecutionId,
                  externalExecutionUrl: a.externalExecutionUrl,
                  errorDetails: a.errorDetails,
                }
              : undefined,
          };
        }),
      };
    }),
  };
}
