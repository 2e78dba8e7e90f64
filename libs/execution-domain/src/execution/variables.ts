import type { ArtifactRef, NamespaceVariables } from './values';
import type { StartedExecution } from './state';

/** What `#{…}` references resolve against when an action is dispatched. */
export interface ResolutionContext {
  pipelineExecutionId: string;
  pipelineVariables: Record<string, string>;
  namespaces: NamespaceVariables;
}

export type Resolved<T> = { ok: true; value: T } | { ok: false; message: string };

const REFERENCE = /#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_.]+)\}/g;

export function resolutionContext(s: StartedExecution): ResolutionContext {
  const namespaces: NamespaceVariables = { ...(s.rollback?.namespaceVariables ?? {}) };
  for (const stage of Object.values(s.stages)) {
    for (const action of Object.values(stage.actions)) {
      if (action.status === 'Succeeded' && action.namespace) namespaces[action.namespace] = action.outputVariables;
    }
  }
  return {
    pipelineExecutionId: s.pipelineExecutionId,
    pipelineVariables: Object.fromEntries(s.variables.map((v) => [v.name, v.value])),
    namespaces,
  };
}

/** Replaces every reference in `text`, or says which one cannot be resolved and why. */
export function resolveText(text: string, ctx: ResolutionContext): Resolved<string> {
  let problem: string | undefined;
  const value = text.replace(REFERENCE, (whole, namespace: string, name: string) => {
    const found = lookup(namespace, name, ctx);
    if (typeof found === 'string') return found;
    problem ??= `${whole}: ${found.reason}`;
    return whole;
  });
  return problem === undefined ? { ok: true, value } : { ok: false, message: problem };
}

/** `#{secrets.name}` stays literal here: only the job's worker resolves it, so no value enters an event. */
export const SECRETS_NAMESPACE = 'secrets';

function lookup(namespace: string, name: string, ctx: ResolutionContext): string | { reason: string } {
  if (namespace === SECRETS_NAMESPACE) return `#{${namespace}.${name}}`;
  if (namespace === 'codepipeline') {
    return name === 'PipelineExecutionId' ? ctx.pipelineExecutionId : { reason: `codepipeline has no variable '${name}'` };
  }
  if (namespace === 'variables') {
    return ctx.pipelineVariables[name] ?? { reason: `the pipeline has no variable '${name}'` };
  }
  const variables = ctx.namespaces[namespace];
  if (!variables) return { reason: `no action that succeeded upstream publishes namespace '${namespace}'` };
  return variables[name] ?? { reason: `namespace '${namespace}' has no output variable '${name}'` };
}

/** Artifacts this execution can hand to an action: outputs of succeeded actions, plus a rollback's inheritance. */
export function availableArtifacts(s: StartedExecution): Map<string, ArtifactRef> {
  const artifacts = new Map<string, ArtifactRef>();
  for (const artifact of s.rollback?.artifacts ?? []) artifacts.set(artifact.name, artifact);
  for (const stage of Object.values(s.stages)) {
    for (const action of Object.values(stage.actions)) {
      if (action.status === 'Succeeded') for (const artifact of action.outputArtifacts) artifacts.set(artifact.name, artifact);
    }
  }
  return artifacts;
}
