/**
 * Rules that come from an action's type: it must exist, and its artifact counts, configuration
 * and commands must be what the type accepts (CodePipeline's ActionConfiguration limits apply).
 */
import { PipelineDeclaration } from '../declaration';
import { containsPlaceholder } from '../names';
import { at, FindingsCollector } from '../problems';
import { actionTypeKey, ArtifactDetails, ResolvedActionType } from '../registry/action-type';
import { ActionTypeRegistry } from '../registry/registry';
import { PlacedAction, placedActions } from './layout';
import { MAX_COMMAND_LENGTH, MAX_COMMANDS, MAX_CONFIGURATION_KEY_LENGTH, MAX_CONFIGURATION_VALUE_LENGTH } from './options';

export function checkActionTypes(declaration: PipelineDeclaration, registry: ActionTypeRegistry, findings: FindingsCollector): void {
  const pipelineType = declaration.pipelineType ?? 'V1';
  for (const placed of placedActions(declaration)) {
    const { action, path } = placed;
    const resolved = registry.resolve(action.actionTypeId);
    if (!resolved) {
      findings.problem(`${path}.actionTypeId`, 'action.type.unknown', `no action type ${actionTypeKey(action.actionTypeId)} (category/owner/provider/version) exists`);
      continue;
    }
    const { definition } = resolved;
    checkCount(findings, `${path}.inputArtifacts`, 'input', action.inputArtifacts?.length ?? 0, definition.inputArtifactDetails);
    checkCount(findings, `${path}.outputArtifacts`, 'output', action.outputArtifacts?.length ?? 0, definition.outputArtifactDetails);
    checkConfiguration(placed, resolved, findings);
    checkCommands(placed, resolved, findings);
    if (definition.pipelineTypes && !definition.pipelineTypes.includes(pipelineType)) {
      findings.warning(`${path}.actionTypeId`, 'action.type.v2-only', `${actionTypeKey(definition.id)} is documented for ${definition.pipelineTypes.join('/')} pipelines; this one is ${pipelineType}`);
    }
    if (!resolved.executable) {
      findings.warning(`${path}.actionTypeId`, 'action.type.awaits-worker', `Pipewright has no executor for ${actionTypeKey(definition.id)}; its jobs wait for a worker that polls for this type`);
    }
  }
}

function checkCount(findings: FindingsCollector, path: string, side: 'input' | 'output', count: number, details: ArtifactDetails): void {
  if (count < details.minimumCount || count > details.maximumCount) {
    findings.problem(path, side === 'input' ? 'action.input-artifacts.count' : 'action.output-artifacts.count', `this action type takes ${details.minimumCount}..${details.maximumCount} ${side} artifacts, not ${count}`);
  }
}

/** Values resolved later (placeholders, variables) cannot be checked against enumerations now. */
function isDeferred(value: string): boolean {
  return containsPlaceholder(value) || value.includes('#{');
}

function checkConfiguration({ action, path }: PlacedAction, resolved: ResolvedActionType, findings: FindingsCollector): void {
  const configuration = action.configuration ?? {};
  const configurationPath = `${path}.configuration`;
  const properties = new Map(resolved.definition.actionConfigurationProperties.map((p) => [p.name, p]));
  const inputNames = new Set((action.inputArtifacts ?? []).map((a) => a.name));
  for (const [key, value] of Object.entries(configuration)) {
    const valuePath = at(configurationPath, key);
    if (key.length < 1 || key.length > MAX_CONFIGURATION_KEY_LENGTH) {
      findings.problem(valuePath, 'action.configuration.key-length', `configuration keys are 1..${MAX_CONFIGURATION_KEY_LENGTH} characters, not ${key.length}`);
    }
    const property = properties.get(key);
    const maxLength = property?.maxLength ?? MAX_CONFIGURATION_VALUE_LENGTH;
    if (value.length < 1 || value.length > maxLength) {
      findings.problem(valuePath, 'action.configuration.value-length', `configuration values are 1..${maxLength} characters, not ${value.length}`);
    }
    if (containsPlaceholder(value)) findings.warning(valuePath, 'placeholder', `${key} holds a placeholder`);
    if (!property) {
      const message = `${key} is not a configuration property of ${actionTypeKey(resolved.definition.id)}`;
      if (resolved.kind === 'aws-catalog') findings.warning(valuePath, 'action.configuration.unknown-key', message);
      else findings.problem(valuePath, 'action.configuration.unknown-key', message);
      continue;
    }
    if (isDeferred(value)) continue;
    const allowed = property.allowedValues;
    const normalised = property.type === 'Boolean' ? value.toLowerCase() : value;
    if (allowed && !allowed.includes(normalised)) {
      findings.problem(valuePath, 'action.configuration.allowed-value', `${key} is one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
    }
    if (property.type === 'Number' && !/^-?\d+(\.\d+)?$/.test(value)) {
      findings.problem(valuePath, 'action.configuration.allowed-value', `${key} is a number, not ${JSON.stringify(value)}`);
    }
    if (property.namesInputArtifact && !inputNames.has(value)) {
      findings.problem(valuePath, 'action.configuration.artifact-reference', `${key} names ${value}, which is not an input artifact of this action`);
    }
  }
  for (const property of properties.values()) {
    if (property.required && configuration[property.name] === undefined) {
      findings.problem(at(configurationPath, property.name), 'action.configuration.required', `${property.name} is required by ${actionTypeKey(resolved.definition.id)}`);
    }
  }
  for (const group of resolved.definition.oneOfRequired ?? []) {
    if (!group.some((name) => configuration[name] !== undefined)) {
      findings.problem(configurationPath, 'action.configuration.one-of-required', `one of ${group.join(', ')} is required by ${actionTypeKey(resolved.definition.id)}`);
    }
  }
}

function checkCommands({ action, path }: PlacedAction, resolved: ResolvedActionType, findings: FindingsCollector): void {
  const accepts = resolved.definition.commands;
  const commands = action.commands;
  if (commands === undefined) {
    if (accepts === 'required') findings.problem(`${path}.commands`, 'action.commands.required', `${actionTypeKey(resolved.definition.id)} runs the action's commands; none are given`);
    return;
  }
  if (!accepts) {
    findings.problem(`${path}.commands`, 'action.commands.unsupported', `${actionTypeKey(resolved.definition.id)} takes no commands`);
    return;
  }
  if (commands.length < 1 || commands.length > MAX_COMMANDS) {
    findings.problem(`${path}.commands`, 'action.commands.count', `an action has 1..${MAX_COMMANDS} commands, not ${commands.length}`);
  }
  commands.forEach((command, index) => {
    if (command.length < 1 || command.length > MAX_COMMAND_LENGTH) {
      findings.problem(at(`${path}.commands`, index), 'action.commands.length', `a command is 1..${MAX_COMMAND_LENGTH} characters, not ${command.length}`);
    }
  });
}
