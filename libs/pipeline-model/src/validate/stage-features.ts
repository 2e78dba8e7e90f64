/**
 * Stage features: conditions are V2-only on AWS; blockers, conditions and rollback are kept in the
 * declaration but Pipewright does not act on them, which the import says.
 */
import { PipelineDeclaration } from '../declaration';
import { FindingsCollector } from '../problems';
import { stagePath } from './layout';

export function checkStageFeatures(declaration: PipelineDeclaration, findings: FindingsCollector): void {
  const isV2 = (declaration.pipelineType ?? 'V1') === 'V2';
  if ((declaration.executionMode === 'QUEUED' || declaration.executionMode === 'PARALLEL') && !isV2) {
    findings.problem('pipeline.executionMode', 'pipeline.execution-mode.v2-only', `executionMode ${declaration.executionMode} requires pipelineType V2`);
  }
  if ((declaration.variables ?? []).length > 0 && !isV2) {
    findings.problem('pipeline.variables', 'pipeline.variables.v2-only', 'pipeline variables require pipelineType V2');
  }
  declaration.stages.forEach((stage, index) => {
    const path = stagePath(index);
    if (stage.blockers && stage.blockers.length > 0) {
      findings.warning(`${path}.blockers`, 'stage.blockers.not-honoured', 'blockers are kept; Pipewright does not act on them');
    }
    for (const gate of ['beforeEntry', 'onSuccess', 'onFailure'] as const) {
      const conditions = stage[gate]?.conditions;
      if (!conditions || conditions.length === 0) continue;
      if (!isV2) findings.problem(`${path}.${gate}.conditions`, 'stage.conditions.v2-only', 'stage conditions require pipelineType V2');
      findings.warning(`${path}.${gate}.conditions`, 'stage.conditions.not-honoured', 'conditions and their rules are kept; Pipewright does not evaluate them');
    }
    if (stage.onFailure?.result === 'ROLLBACK') {
      findings.warning(`${path}.onFailure.result`, 'stage.on-failure.not-honoured', 'ROLLBACK on failure is kept; Pipewright fails the stage instead');
    }
  });
}
