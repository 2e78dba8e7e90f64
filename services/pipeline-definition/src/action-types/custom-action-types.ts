import { DomainError } from '@pipewright/decider';
import { ActionTypeRegistry, actionTypeKey, CustomActionType } from '@pipewright/pipeline-model';

/** The registered custom action types (stream `custom-action-types`): registered, then maybe deleted. */
export type CustomActionTypeEvent =
  | { type: 'CustomActionTypeCreated'; data: { actionType: CustomActionType; at: string } }
  | { type: 'CustomActionTypeDeleted'; data: { key: string; at: string } };

export type CustomActionTypes = ReadonlyMap<string, CustomActionType>;

export class ActionTypeNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}

export function evolveCustomActionTypes(state: CustomActionTypes, event: CustomActionTypeEvent): CustomActionTypes {
  const next = new Map(state);
  if (event.type === 'CustomActionTypeCreated') next.set(actionTypeKey({ ...event.data.actionType, owner: 'Custom' }), event.data.actionType);
  else next.delete(event.data.key);
  return next;
}

/** Validation and uniqueness are the registry's: a type the registry refuses is never recorded. */
export function decideCreate(actionType: CustomActionType, state: CustomActionTypes, now: string): CustomActionTypeEvent[] {
  ActionTypeRegistry.standard([...state.values()]).withCustomActionType(actionType);
  return [{ type: 'CustomActionTypeCreated', data: { actionType: { ...actionType, owner: 'Custom' }, at: now } }];
}

export function decideDelete(id: { category: string; provider: string; version: string }, state: CustomActionTypes, now: string): CustomActionTypeEvent[] {
  const key = actionTypeKey({ ...id, owner: 'Custom' } as never);
  if (!state.has(key)) throw new ActionTypeNotFound(`custom action type ${key} not found`, { actionType: key });
  return [{ type: 'CustomActionTypeDeleted', data: { key, at: now } }];
}
