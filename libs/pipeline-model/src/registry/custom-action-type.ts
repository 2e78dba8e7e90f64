/**
 * Custom action types as CreateCustomActionType takes them: workers outside Pipewright poll for
 * jobs of these. The limits are CodePipeline's (API reference of CreateCustomActionType).
 */
import { DomainError } from '@pipewright/decider';
import { ActionCategory } from '../declaration';
import { at, Problem } from '../problems';
import { ActionTypeDefinition, ArtifactDetails } from './action-type';

export interface CustomActionConfigurationProperty {
  name: string;
  required: boolean;
  key?: boolean;
  secret?: boolean;
  queryable?: boolean;
  description?: string;
  type?: 'String' | 'Number' | 'Boolean';
}

export interface CustomActionType {
  category: ActionCategory;
  owner?: 'Custom';
  provider: string;
  version: string;
  configurationProperties?: CustomActionConfigurationProperty[];
  inputArtifactDetails: ArtifactDetails;
  outputArtifactDetails: ArtifactDetails;
  settings?: { thirdPartyConfigurationUrl?: string; entityUrlTemplate?: string; executionUrlTemplate?: string; revisionUrlTemplate?: string };
}

export class InvalidCustomActionType extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(readonly problems: Problem[]) {
    super(`custom action type is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  }
}

export class ActionTypeAlreadyExists extends DomainError {
  readonly code = 'ALREADY_EXISTS' as const;
  constructor(key: string) {
    super(`action type ${key} already exists`, { actionType: key });
  }
}

const PROVIDER = /^[0-9A-Za-z_-]{1,35}$/;
const VERSION = /^[0-9A-Za-z_-]{1,9}$/;
const MAX_PROPERTIES = 10;
const MAX_ARTIFACTS = 5;

/** All problems of a custom action type; paths start at `actionType`. */
export function validateCustomActionType(type: CustomActionType): Problem[] {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => problems.push({ path, rule: 'shape.type', message });
  if (!PROVIDER.test(type.provider)) problem('actionType.provider', 'provider must be 1..35 characters of [0-9A-Za-z_-]');
  if (!VERSION.test(type.version)) problem('actionType.version', 'version must be 1..9 characters of [0-9A-Za-z_-]');
  if (type.owner !== undefined && type.owner !== 'Custom') problem('actionType.owner', 'a custom action type has owner Custom');
  for (const side of ['inputArtifactDetails', 'outputArtifactDetails'] as const) {
    const { minimumCount, maximumCount } = type[side];
    if (!inRange(minimumCount, 0, MAX_ARTIFACTS) || !inRange(maximumCount, 0, MAX_ARTIFACTS) || minimumCount > maximumCount) {
      problem(`actionType.${side}`, `counts must satisfy 0 <= minimumCount <= maximumCount <= ${MAX_ARTIFACTS}`);
    }
  }
  const properties = type.configurationProperties ?? [];
  if (properties.length > MAX_PROPERTIES) problem('actionType.configurationProperties', `at most ${MAX_PROPERTIES} configuration properties`);
  const seen = new Set<string>();
  properties.forEach((property, index) => {
    const path = at('actionType.configurationProperties', index);
    if (property.name.length < 1 || property.name.length > 50) problem(`${path}.name`, 'name must be 1..50 characters');
    if (seen.has(property.name)) problem(`${path}.name`, `duplicate property ${property.name}`);
    seen.add(property.name);
    if (property.queryable && (!property.required || property.secret)) problem(`${path}.queryable`, 'a queryable property must be required and not secret');
  });
  if (properties.filter((p) => p.queryable).length > 1) problem('actionType.configurationProperties', 'at most one property can be queryable');
  return problems;
}

export function customActionTypeDefinition(type: CustomActionType): ActionTypeDefinition {
  return {
    id: { category: type.category, owner: 'Custom', provider: type.provider, version: type.version },
    actionConfigurationProperties: (type.configurationProperties ?? []).map((p) => ({
      ...p,
      key: p.key ?? false,
      secret: p.secret ?? false,
    })),
    inputArtifactDetails: type.inputArtifactDetails,
    outputArtifactDetails: type.outputArtifactDetails,
  };
}

function inRange(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
