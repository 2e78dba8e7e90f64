import type { ActionDeclaration } from '@pipewright/pipeline-model';
import { actionExecutionIdFor, approvalTokenFor, jobNonceFor } from '../ids';
import { actionTimeoutMinutes, isManualApproval } from '../policy';
import { addSeconds } from '../time';
import type { Draft } from './draft';
import { availableArtifacts, resolutionContext, resolveText, type ResolutionContext, type Resolved } from './variables';
import type { ArtifactRef } from './values';

/**
 * Starts the next attempt of one action: a job request, or an approval request for a manual
 * approval. Variables are resolved now, against what has succeeded so far; a reference that
 * cannot be resolved (or a missing input artifact) fails the attempt with a ConfigurationError.
 */
export function dispatchAction(d: Draft, stageName: string, action: ActionDeclaration, runAttempt: number, now: string): void {
  const s = d.state;
  const attempt = (s.attempts[stageName]?.[action.name] ?? 0) + 1;
  const actionExecutionId = actionExecutionIdFor(s.pipelineExecutionId, stageName, action.name, attempt);
  const runOrder = action.runOrder ?? 1;
  const deadline = addSeconds(now, actionTimeoutMinutes(action) * 60);
  const refuse = (message: string) =>
    d.emit('ActionExecutionFailed', { stageName, actionName: action.name, attempt, actionExecutionId, runOrder, errorDetails: { code: 'ConfigurationError', message }, at: now });

  const ctx = resolutionContext(s);
  const configuration = resolveConfiguration(action, ctx);
  if (!configuration.ok) return refuse(configuration.message);

  if (isManualApproval(action)) {
    const token = approvalTokenFor(s.seed, actionExecutionId);
    d.emit('ApprovalRequested', {
      stageName,
      actionName: action.name,
      attempt,
      actionExecutionId,
      actionTypeId: action.actionTypeId,
      runOrder,
      configuration: configuration.value,
      token,
      expiresAt: deadline,
      at: now,
    });
    return;
  }

  const commands = resolveAll(action.commands ?? [], ctx, (i) => `command ${i + 1} of action '${action.name}'`);
  if (!commands.ok) return refuse(commands.message);
  const environment = resolveAll((action.environmentVariables ?? []).map((v) => v.value), ctx, (i) => `environment variable '${action.environmentVariables?.[i]?.name}' of action '${action.name}'`);
  if (!environment.ok) return refuse(environment.message);
  const inputs = wireInputs(action, availableArtifacts(s));
  if (!inputs.ok) return refuse(inputs.message);

  d.emit('ActionExecutionStarted', {
    stageName,
    actionName: action.name,
    attempt,
    runAttempt,
    actionExecutionId,
    jobId: actionExecutionId,
    nonce: jobNonceFor(s.seed, actionExecutionId),
    actionTypeId: action.actionTypeId,
    runOrder,
    namespace: action.namespace,
    configuration: configuration.value,
    commands: action.commands ? commands.value : undefined,
    environmentVariables: action.environmentVariables?.map((v, i) => ({ ...v, value: environment.ok ? environment.value[i]! : v.value })),
    inputArtifacts: inputs.value,
    outputArtifactNames: (action.outputArtifacts ?? []).map((a) => a.name),
    sourceRevision: action.actionTypeId.category === 'Source' ? s.sourceRevisions.find((r) => r.actionName === action.name) : undefined,
    timeoutAt: deadline,
    at: now,
  });
}

function resolveConfiguration(action: ActionDeclaration, ctx: ResolutionContext): Resolved<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(action.configuration ?? {})) {
    const result = resolveText(value, ctx);
    if (!result.ok) return { ok: false, message: `Unable to resolve variable ${result.message} (configuration '${key}' of action '${action.name}')` };
    resolved[key] = result.value;
  }
  return { ok: true, value: resolved };
}

function resolveAll(texts: readonly string[], ctx: ResolutionContext, where: (index: number) => string): Resolved<string[]> {
  const values: string[] = [];
  for (const [index, text] of texts.entries()) {
    const result = resolveText(text, ctx);
    if (!result.ok) return { ok: false, message: `Unable to resolve variable ${result.message} (${where(index)})` };
    values.push(result.value);
  }
  return { ok: true, value: values };
}

function wireInputs(action: ActionDeclaration, available: Map<string, ArtifactRef>): Resolved<ArtifactRef[]> {
  const inputs: ArtifactRef[] = [];
  for (const { name } of action.inputArtifacts ?? []) {
    const artifact = available.get(name);
    if (!artifact) return { ok: false, message: `Input artifact '${name}' of action '${action.name}' was not produced by any action of this execution` };
    inputs.push(artifact);
  }
  return { ok: true, value: inputs };
}
