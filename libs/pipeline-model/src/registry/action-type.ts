/**
 * An action type as CodePipeline describes one (ListActionTypes' ActionType: id, configuration
 * properties, artifact details), plus what Pipewright needs to validate declarations against it.
 */
import { ActionCategory, ActionTypeId, PipelineType } from '../declaration';

export interface ArtifactDetails {
  minimumCount: number;
  maximumCount: number;
}

export interface ActionConfigurationProperty {
  name: string;
  required: boolean;
  key: boolean;
  secret: boolean;
  queryable?: boolean;
  description?: string;
  type?: 'String' | 'Number' | 'Boolean';
  /** The only values the provider accepts (Boolean properties accept true/false in any case). */
  allowedValues?: readonly string[];
  /** Overrides CodePipeline's 1000-character limit on configuration values. */
  maxLength?: number;
  /** The value names one of the action's input artifacts. */
  namesInputArtifact?: boolean;
}

export interface ActionTypeDefinition {
  id: ActionTypeId;
  actionConfigurationProperties: ActionConfigurationProperty[];
  inputArtifactDetails: ArtifactDetails;
  outputArtifactDetails: ArtifactDetails;
  /** Whether the action's `commands` field is required, allowed, or (absent) not accepted. */
  commands?: 'required' | 'optional';
  /** Groups of properties of which at least one must be present, e.g. [['Commands', 'BuildSpec']]. */
  oneOfRequired?: readonly (readonly string[])[];
  /** Pipeline types the type is documented for; absent means both. */
  pipelineTypes?: readonly PipelineType[];
}

export type ActionTypeKind = 'aws-catalog' | 'built-in' | 'custom';

export interface ResolvedActionType {
  kind: ActionTypeKind;
  /** True when Pipewright's job-worker (or the orchestrator, for approvals) runs it itself. */
  executable: boolean;
  definition: ActionTypeDefinition;
}

export function actionTypeKey(id: Pick<ActionTypeId, 'category' | 'owner' | 'provider' | 'version'>): string {
  return `${id.category}/${id.owner}/${id.provider}/${id.version}`;
}

/** Compact constructors for the catalog files, which are data. */
export interface PropertyOptions {
  secret?: boolean;
  key?: boolean;
  queryable?: boolean;
  type?: 'String' | 'Number' | 'Boolean';
  allowedValues?: readonly string[];
  maxLength?: number;
  namesInputArtifact?: boolean;
}

export const requiredProperty = (name: string, options: PropertyOptions = {}): ActionConfigurationProperty =>
  property(name, true, options);
export const optionalProperty = (name: string, options: PropertyOptions = {}): ActionConfigurationProperty =>
  property(name, false, options);
export const booleanProperty = (name: string, isRequired = false): ActionConfigurationProperty =>
  property(name, isRequired, { type: 'Boolean', allowedValues: ['true', 'false'] });

function property(name: string, isRequired: boolean, options: PropertyOptions): ActionConfigurationProperty {
  return { name, required: isRequired, key: options.key ?? false, secret: options.secret ?? false, ...stripUndefined(options) };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface DefinitionSpec {
  inputs: [number, number];
  outputs: [number, number];
  properties?: ActionConfigurationProperty[];
  commands?: 'required' | 'optional';
  oneOfRequired?: readonly (readonly string[])[];
  pipelineTypes?: readonly PipelineType[];
  version?: string;
}

export function defineActionType(
  category: ActionCategory,
  owner: ActionTypeId['owner'],
  provider: string,
  spec: DefinitionSpec,
): ActionTypeDefinition {
  return {
    id: { category, owner, provider, version: spec.version ?? '1' },
    actionConfigurationProperties: spec.properties ?? [],
    inputArtifactDetails: { minimumCount: spec.inputs[0], maximumCount: spec.inputs[1] },
    outputArtifactDetails: { minimumCount: spec.outputs[0], maximumCount: spec.outputs[1] },
    ...(spec.commands ? { commands: spec.commands } : {}),
    ...(spec.oneOfRequired ? { oneOfRequired: spec.oneOfRequired } : {}),
    ...(spec.pipelineTypes ? { pipelineTypes: spec.pipelineTypes } : {}),
  };
}
