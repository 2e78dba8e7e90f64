/** Actions whose jobs no built-in provider runs: they wait for a worker polling for their type. */
import { ActionTypeId, PipelineDeclaration } from './declaration';
import { ActionTypeKind } from './registry/action-type';
import { ActionTypeRegistry } from './registry/registry';
import { placedActions } from './validate/layout';

export interface ActionAwaitingWorker {
  path: string;
  stageName: string;
  actionName: string;
  actionTypeId: ActionTypeId;
  kind: ActionTypeKind;
}

/** Unknown types are left out: validation reports them as problems. */
export function actionsAwaitingWorker(declaration: PipelineDeclaration, registry: ActionTypeRegistry): ActionAwaitingWorker[] {
  return placedActions(declaration).flatMap(({ action, stage, path }) => {
    const resolved = registry.resolve(action.actionTypeId);
    if (!resolved || resolved.executable) return [];
    return [{ path, stageName: stage.name, actionName: action.name, actionTypeId: action.actionTypeId, kind: resolved.kind }];
  });
}
