/**
 * Variable rules: namespaces are named well and unique; `#{Namespace.Variable}` names a namespace
 * of an action that runs before the reference is resolved; `#{variables.name}` names a declared
 * pipeline variable; `#{codepipeline.…}` names one of CodePipeline's own variables; `#{secrets.name}`
 * names a secret of the owning team, resolved by the job's worker (docs/security.md "Secrets").
 */
import { PipelineDeclaration, RuleDeclaration } from '../declaration';
import { NAMESPACE_NAME, PIPELINE_VARIABLE_NAME } from '../names';
import { at, FindingsCollector } from '../problems';
import { firstIndex, isUpstream, PlacedAction, placedActions, stagePath } from './layout';
import { MAX_PIPELINE_VARIABLES, MAX_VARIABLE_DEFAULT_LENGTH, MAX_VARIABLE_DESCRIPTION_LENGTH } from './options';
import { checkNameRule } from './structure';

/** Variables CodePipeline sets on every execution (`#{codepipeline.PipelineExecutionId}`). */
export const CODEPIPELINE_VARIABLES: readonly string[] = ['PipelineExecutionId'];
const RESERVED_NAMESPACES = ['codepipeline', 'variables', 'secrets'];
const SECRET_NAME_PATTERN = '[A-Za-z0-9_.-]{1,128}';
/** A secret's name as the secret store accepts it. */
export const SECRET_NAME = new RegExp(`^${SECRET_NAME_PATTERN}$`);
/** `#{secrets.name}` in a text, the name captured (global: for matchAll and replace). */
export const SECRET_REFERENCE = new RegExp(`#\\{secrets\\.(${SECRET_NAME_PATTERN})\\}`, 'g');

export interface VariableReference {
  namespace: string;
  name: string;
}

/** Every `#{Namespace.Name}` in a text. */
export function variableReferences(text: string): VariableReference[] {
  return [...text.matchAll(/#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_.]+)\}/g)].map((m) => ({ namespace: m[1]!, name: m[2]! }));
}

/** A text to resolve, where it is, and the point in the run at which it is resolved. */
interface ReferenceSite {
  path: string;
  text: string;
  at: { stageIndex: number; runOrder: number };
}

export function checkVariables(declaration: PipelineDeclaration, findings: FindingsCollector): void {
  const actions = placedActions(declaration);
  checkNamespaces(actions, findings);
  checkPipelineVariables(declaration, findings);
  const declared = new Set((declaration.variables ?? []).map((v) => v.name));
  for (const site of referenceSites(declaration, actions)) {
    for (const reference of variableReferences(site.text)) {
      const written = `#{${reference.namespace}.${reference.name}}`;
      if (reference.namespace === 'codepipeline') {
        if (!CODEPIPELINE_VARIABLES.includes(reference.name)) {
          findings.problem(site.path, 'variable.reference.codepipeline-unknown', `${written}: CodePipeline's variables are ${CODEPIPELINE_VARIABLES.join(', ')}`);
        }
      } else if (reference.namespace === 'secrets') {
        // Whether the secret exists is known only when the job runs (secrets change without a new pipeline version).
        if (!SECRET_NAME.test(reference.name)) findings.problem(site.path, 'variable.reference.secret-name', `${written}: a secret name is 1-128 letters, digits, '_', '.' and '-'`);
      } else if (reference.namespace === 'variables') {
        if (!declared.has(reference.name)) {
          findings.problem(site.path, 'variable.reference.pipeline-variable-undeclared', `${written}: no pipeline variable ${reference.name} is declared`);
        }
      } else if (!actions.some((a) => a.action.namespace === reference.namespace && isUpstream(a, site.at))) {
        findings.problem(site.path, 'variable.reference.namespace-not-upstream', `${written}: no action that runs before this declares namespace ${reference.namespace}`);
      }
    }
  }
}

function checkNamespaces(actions: PlacedAction[], findings: FindingsCollector): void {
  const seen = new Set<string>();
  for (const { action, path } of actions) {
    const namespace = action.namespace;
    if (namespace === undefined) continue;
    checkNameRule(findings, `${path}.namespace`, namespace, NAMESPACE_NAME, 'namespace.name');
    if (RESERVED_NAMESPACES.includes(namespace)) findings.problem(`${path}.namespace`, 'namespace.name', `${namespace} is reserved`);
    if (seen.has(namespace)) findings.problem(`${path}.namespace`, 'namespace.duplicate', `namespace ${namespace} is already declared by another action`);
    seen.add(namespace);
  }
}

function checkPipelineVariables(declaration: PipelineDeclaration, findings: FindingsCollector): void {
  const variables = declaration.variables ?? [];
  if (variables.length > MAX_PIPELINE_VARIABLES) {
    findings.problem('pipeline.variables', 'pipeline.variables.count', `a pipeline has at most ${MAX_PIPELINE_VARIABLES} variables, not ${variables.length}`);
  }
  variables.forEach((variable, index) => {
    const path = at('pipeline.variables', index);
    checkNameRule(findings, `${path}.name`, variable.name, PIPELINE_VARIABLE_NAME, 'variable.name');
    if (firstIndex(variables, variable.name) < index) findings.problem(`${path}.name`, 'variable.name.duplicate', `pipeline variable ${variable.name} is declared twice`);
    const { defaultValue, description } = variable;
    if (defaultValue !== undefined && (defaultValue.length < 1 || defaultValue.length > MAX_VARIABLE_DEFAULT_LENGTH)) {
      findings.problem(`${path}.defaultValue`, 'variable.default-value', `a default value is 1..${MAX_VARIABLE_DEFAULT_LENGTH} characters, not ${defaultValue.length}`);
    }
    if (description !== undefined && description.length > MAX_VARIABLE_DESCRIPTION_LENGTH) {
      findings.problem(`${path}.description`, 'variable.description', `a description is at most ${MAX_VARIABLE_DESCRIPTION_LENGTH} characters, not ${description.length}`);
    }
  });
}

function referenceSites(declaration: PipelineDeclaration, actions: PlacedAction[]): ReferenceSite[] {
  const sites: ReferenceSite[] = [];
  for (const { action, path, stageIndex, runOrder } of actions) {
    const point = { stageIndex, runOrder };
    for (const [key, text] of Object.entries(action.configuration ?? {})) sites.push({ path: at(`${path}.configuration`, key), text, at: point });
    (action.commands ?? []).forEach((text, i) => sites.push({ path: at(`${path}.commands`, i), text, at: point }));
    (action.environmentVariables ?? []).forEach((v, i) => sites.push({ path: `${at(`${path}.environmentVariables`, i)}.value`, text: v.value, at: point }));
  }
  declaration.stages.forEach((stage, stageIndex) => {
    // beforeEntry is evaluated before the stage's actions run; onSuccess/onFailure after them.
    const before = { stageIndex, runOrder: 0 };
    const after = { stageIndex: stageIndex + 1, runOrder: 0 };
    const gates = [
      { key: 'beforeEntry', conditions: stage.beforeEntry?.conditions, point: before },
      { key: 'onSuccess', conditions: stage.onSuccess?.conditions, point: after },
      { key: 'onFailure', conditions: stage.onFailure?.conditions, point: after },
    ];
    for (const gate of gates) {
      (gate.conditions ?? []).forEach((condition, c) => {
        (condition.rules ?? []).forEach((rule, r) => {
          sites.push(...ruleSites(`${at(`${stagePath(stageIndex)}.${gate.key}.conditions`, c)}.rules[${r}]`, rule, gate.point));
        });
      });
    }
  });
  return sites;
}

function ruleSites(path: string, rule: RuleDeclaration, point: ReferenceSite['at']): ReferenceSite[] {
  return [
    ...Object.entries(rule.configuration ?? {}).map(([key, text]) => ({ path: at(`${path}.configuration`, key), text, at: point })),
    ...(rule.commands ?? []).map((text, i) => ({ path: at(`${path}.commands`, i), text, at: point })),
  ];
}
