/**
 * One registry for the three kinds of action types (DESIGN.md): CodePipeline's catalog,
 * Pipewright's built-in providers, and custom types registered at run time. Immutable: adding a
 * custom type returns a new registry.
 */
import { ActionOwner, ActionTypeId } from '../declaration';
import { ActionTypeDefinition, actionTypeKey, ActionTypeKind, ResolvedActionType } from './action-type';
import { AWS_ACTION_TYPES } from './aws-catalog';
import { BUILT_IN_ACTION_TYPES, EXECUTED_CATALOG_TYPES } from './built-in';
import { ActionTypeAlreadyExists, CustomActionType, customActionTypeDefinition, InvalidCustomActionType, validateCustomActionType } from './custom-action-type';

export class ActionTypeRegistry {
  private constructor(private readonly types: ReadonlyMap<string, ResolvedActionType>) {}

  /** The catalog and the built-in providers, plus the given custom types. */
  static standard(customActionTypes: readonly CustomActionType[] = []): ActionTypeRegistry {
    const types = new Map<string, ResolvedActionType>();
    const add = (kind: ActionTypeKind, definition: ActionTypeDefinition, executable: boolean) =>
      types.set(actionTypeKey(definition.id), { kind, executable, definition });
    for (const definition of AWS_ACTION_TYPES) add('aws-catalog', definition, EXECUTED_CATALOG_TYPES.includes(actionTypeKey(definition.id)));
    for (const definition of BUILT_IN_ACTION_TYPES) add('built-in', definition, true);
    return customActionTypes.reduce((registry, type) => registry.withCustomActionType(type), new ActionTypeRegistry(types));
  }

  resolve(id: ActionTypeId): ResolvedActionType | undefined {
    return this.types.get(actionTypeKey(id));
  }

  /** Throws InvalidCustomActionType or ActionTypeAlreadyExists. */
  withCustomActionType(type: CustomActionType): ActionTypeRegistry {
    const problems = validateCustomActionType(type);
    if (problems.length > 0) throw new InvalidCustomActionType(problems);
    const definition = customActionTypeDefinition(type);
    const key = actionTypeKey(definition.id);
    if (this.types.has(key)) throw new ActionTypeAlreadyExists(key);
    const types = new Map(this.types);
    types.set(key, { kind: 'custom', executable: false, definition });
    return new ActionTypeRegistry(types);
  }

  /** ListActionTypes: every type, or those of one owner. */
  list(filter: { owner?: ActionOwner } = {}): ResolvedActionType[] {
    return [...this.types.values()].filter((t) => filter.owner === undefined || t.definition.id.owner === filter.owner);
  }
}
