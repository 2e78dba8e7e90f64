import { executionV1, timestampFromDate } from '@pipewright/contracts';
import { ExecutionState, LanesState, laneOf, PipelineExecutionView, pipelineExecutionView } from '@pipewright/execution-domain';
import { PipelineDeclaration } from '@pipewright/pipeline-model';

/** The domain's views in the contracts' shapes: one mapping, used by the gRPC adapter and by tests that fold the log. */
const ts = (iso: string | undefined) => (iso ? timestampFromDate(new Date(iso)) : undefined);

export function pipelineExecutionMessage(view: PipelineExecutionView['pipelineExecution']): executionV1.PipelineExecution {
  return executionV1.PipelineExecution.fromPartial({
    ...view,
    artifactRevisions: view.artifactRevisions.map((r) => ({ ...r, created: ts(r.created) })),
  });
}

export function executionSummaryMessage(summary: PipelineExecutionView['summary']): executionV1.PipelineExecutionSummary {
  return executionV1.PipelineExecutionSummary.fromPartial({
    ...summary,
    startTime: ts(summary.startTime),
    lastUpdateTime: ts(summary.lastUpdateTime),
    // CodePipeline lists what each source action ran on; an override is what was asked for.
    sourceRevisions: summary.sourceRevisions.map((r) => ({ actionName: r.actionName, revisionId: r.revisionValue })),
  });
}

/** GetPipelineState's stages: transitions from the lanes, each stage's state from the execution that ran it last. */
export function stageStateMessages(declaration: PipelineDeclaration, lanes: LanesState, executions: ReadonlyMap<string, ExecutionState>): executionV1.StageState[] {
  return declaration.stages.map((stage) => {
    const lane = laneOf(lanes, stage.name);
    const execution = lane.latestExecutionId ? executions.get(lane.latestExecutionId) : undefined;
    const view = execution ? pipelineExecutionView(execution) : undefined;
    const stageView = view?.stageStates.find((s) => s.stageName === stage.name);
    const waiting = lane.waiting.map((w) => ({ pipelineExecutionId: w.pipelineExecutionId, status: 'InProgress', type: 'STANDARD' }));
    return executionV1.StageState.fromPartial({
      stageName: stage.name,
      inboundExecution: waiting[0],
      inboundExecutions: waiting,
      inboundTransitionState: {
        enabled: lane.transition.enabled,
        disabledReason: lane.transition.disabledReason,
        lastChangedBy: lane.transition.lastChangedBy,
        lastChangedAt: ts(lane.transition.lastChangedAt),
      },
      latestExecution: stageView?.latestExecution,
      actionStates: stage.actions.map((action) => {
        const latest = stageView?.actionStates.find((a) => a.actionName === action.name)?.latestExecution;
        return {
          actionName: action.name,
          latestExecution: latest
            ? {
                actionExecutionId: latest.actionExecutionId,
                status: latest.status,
                summary: latest.summary,
                lastStatusChange: ts(latest.lastStatusChange),
                token: latest.token,
                lastUpdatedBy: latest.updatedBy,
                externalExecutionId: latest.externalExecutionId,
                externalExecutionUrl: latest.externalExecutionUrl,
                errorDetails: latest.errorDetails,
              }
            : undefined,
        };
      }),
    });
  });
}
