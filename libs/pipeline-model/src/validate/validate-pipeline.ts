/** validatePipeline: every rule of CodePipeline's structure, all problems at once. */
import { PipelineDeclaration } from '../declaration';
import { Findings, FindingsCollector } from '../problems';
import { ActionTypeRegistry } from '../registry/registry';
import { checkActionTypes } from './action-types';
import { checkArtifacts } from './artifacts';
import { checkAwsValues } from './aws-values';
import { DEFAULT_VALIDATION_OPTIONS, ValidationOptions } from './options';
import { checkStageFeatures } from './stage-features';
import { checkStructure } from './structure';
import { checkTriggers } from './triggers';
import { checkVariables } from './variables';

export function validatePipeline(
  declaration: PipelineDeclaration,
  registry: ActionTypeRegistry,
  options: Partial<ValidationOptions> = {},
): Findings {
  const findings = new FindingsCollector();
  const resolvedOptions = { ...DEFAULT_VALIDATION_OPTIONS, ...options };
  checkStructure(declaration, resolvedOptions, findings);
  checkArtifacts(declaration, findings);
  checkActionTypes(declaration, registry, findings);
  checkVariables(declaration, findings);
  checkTriggers(declaration, findings);
  checkStageFeatures(declaration, findings);
  checkAwsValues(declaration, findings);
  return { problems: findings.problems, warnings: findings.warnings };
}
