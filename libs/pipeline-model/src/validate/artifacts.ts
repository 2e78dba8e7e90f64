/** Artifact rules: names, output names unique in the pipeline, inputs produced upstream. */
import { PipelineDeclaration } from '../declaration';
import { ARTIFACT_NAME } from '../names';
import { at, FindingsCollector } from '../problems';
import { isUpstream, PlacedAction, placedActions } from './layout';
import { checkNameRule } from './structure';

export function checkArtifacts(declaration: PipelineDeclaration, findings: FindingsCollector): void {
  const actions = placedActions(declaration);
  const producers = new Map<string, PlacedAction>();
  for (const placed of actions) {
    (placed.action.outputArtifacts ?? []).forEach((artifact, index) => {
      const path = `${at(`${placed.path}.outputArtifacts`, index)}.name`;
      checkNameRule(findings, path, artifact.name, ARTIFACT_NAME, 'artifact.name');
      const first = producers.get(artifact.name);
      if (first) {
        findings.problem(path, 'artifact.output.duplicate', `output artifact ${artifact.name} is already produced by action ${first.action.name} (stage ${first.stage.name})`);
      } else {
        producers.set(artifact.name, placed);
      }
    });
  }
  for (const placed of actions) {
    const inputs = placed.action.inputArtifacts ?? [];
    inputs.forEach((artifact, index) => {
      const path = `${at(`${placed.path}.inputArtifacts`, index)}.name`;
      checkNameRule(findings, path, artifact.name, ARTIFACT_NAME, 'artifact.name');
      if (inputs.findIndex((other) => other.name === artifact.name) < index) {
        findings.problem(path, 'artifact.input.duplicate', `input artifact ${artifact.name} is listed twice`);
        return;
      }
      const producer = producers.get(artifact.name);
      if (!producer) {
        findings.problem(path, 'artifact.input.not-upstream', `no action produces input artifact ${artifact.name}`);
      } else if (!isUpstream(producer, placed)) {
        findings.problem(path, 'artifact.input.not-upstream', `input artifact ${artifact.name} is produced by ${producer.action.name} (stage ${producer.stage.name}, runOrder ${producer.runOrder}), which does not run before this action`);
      }
    });
  }
}
