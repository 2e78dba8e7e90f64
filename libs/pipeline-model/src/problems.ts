/**
 * What validation says about a declaration: problems reject it (CreatePipeline answers
 * INVALID_ARGUMENT with all of them), warnings are kept beside an accepted declaration.
 * Every finding names the JSON path of the value it is about and the rule it breaks.
 */
export type ProblemRule =
  // shape of the document (readPipelineDocument)
  | 'shape.type'
  | 'shape.required'
  | 'shape.enum'
  | 'shape.unknown-key'
  // pipeline
  | 'pipeline.name'
  | 'pipeline.stages.count'
  | 'pipeline.execution-mode.v2-only'
  | 'pipeline.variables.v2-only'
  | 'pipeline.variables.count'
  | 'variable.name'
  | 'variable.name.duplicate'
  | 'variable.default-value'
  | 'variable.description'
  // stages
  | 'stage.name'
  | 'stage.name.duplicate'
  | 'stage.actions.count'
  | 'stage.first.non-source-action'
  | 'stage.conditions.v2-only'
  // actions
  | 'action.name'
  | 'action.name.duplicate'
  | 'action.type.unknown'
  | 'action.source.not-in-first-stage'
  | 'action.run-order'
  | 'action.timeout'
  | 'action.retry-policy'
  | 'action.commands.required'
  | 'action.commands.unsupported'
  | 'action.commands.count'
  | 'action.commands.length'
  | 'action.configuration.required'
  | 'action.configuration.one-of-required'
  | 'action.configuration.unknown-key'
  | 'action.configuration.key-length'
  | 'action.configuration.value-length'
  | 'action.configuration.allowed-value'
  | 'action.configuration.artifact-reference'
  | 'action.input-artifacts.count'
  | 'action.output-artifacts.count'
  // artifacts
  | 'artifact.name'
  | 'artifact.input.duplicate'
  | 'artifact.input.not-upstream'
  | 'artifact.output.duplicate'
  // variables
  | 'namespace.name'
  | 'namespace.duplicate'
  | 'variable.reference.namespace-not-upstream'
  | 'variable.reference.codepipeline-unknown'
  | 'variable.reference.pipeline-variable-undeclared'
  | 'variable.reference.secret-name'
  // triggers
  | 'trigger.v2-only'
  | 'trigger.count'
  | 'trigger.source-action'
  | 'trigger.source-action.duplicate'
  | 'trigger.filters.count'
  | 'trigger.criteria.count'
  | 'trigger.push.tags-exclusive'
  | 'trigger.pull-request.events'
  | 'cloudformation.no-pipeline';

export type WarningRule =
  | 'document.metadata-ignored'
  | 'document.stray-key'
  | 'placeholder'
  | 'aws.role-arn'
  | 'aws.artifact-store'
  | 'aws.encryption-key'
  | 'aws.region'
  | 'aws.connection-arn'
  | 'action.configuration.unknown-key'
  | 'action.type.v2-only'
  | 'action.type.awaits-worker'
  | 'stage.blockers.not-honoured'
  | 'stage.conditions.not-honoured'
  | 'stage.on-failure.not-honoured'
  | 'cloudformation.intrinsic'
  | 'cloudformation.name-generated'
  | 'cloudformation.property-ignored'
  | 'cloudformation.resource-ignored';

export interface Problem {
  path: string;
  message: string;
  rule: ProblemRule;
}

export interface Warning {
  path: string;
  message: string;
  rule: WarningRule;
}

export interface Findings {
  problems: Problem[];
  warnings: Warning[];
}

/** Collects findings as validation walks a declaration. */
export class FindingsCollector implements Findings {
  readonly problems: Problem[] = [];
  readonly warnings: Warning[] = [];
  problem(path: string, rule: ProblemRule, message: string): void {
    this.problems.push({ path, rule, message });
  }
  warning(path: string, rule: WarningRule, message: string): void {
    this.warnings.push({ path, rule, message });
  }
}

/** `pipeline.stages` + 1 → `pipeline.stages[1]`; `configuration` + `us-east-1` → `configuration["us-east-1"]`. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
