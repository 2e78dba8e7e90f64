/**
 * Where each action sits and what is upstream of it: earlier stages, and lower runOrder groups of
 * its own stage (actions of one runOrder run in parallel, so they cannot feed each other).
 */
import { ActionDeclaration, PipelineDeclaration, StageDeclaration } from '../declaration';
import { at } from '../problems';

export interface PlacedAction {
  action: ActionDeclaration;
  stage: StageDeclaration;
  stageIndex: number;
  actionIndex: number;
  runOrder: number;
  path: string;
}

export function stagePath(stageIndex: number): string {
  return at('pipeline.stages', stageIndex);
}

export function placedActions(declaration: PipelineDeclaration): PlacedAction[] {
  return declaration.stages.flatMap((stage, stageIndex) =>
    stage.actions.map((action, actionIndex) => ({
      action,
      stage,
      stageIndex,
      actionIndex,
      runOrder: action.runOrder ?? 1,
      path: at(at(stagePath(stageIndex), 'actions'), actionIndex),
    })),
  );
}

/** True when `producer` finishes before `consumer` starts. */
export function isUpstream(producer: PlacedAction, consumer: Pick<PlacedAction, 'stageIndex' | 'runOrder'>): boolean {
  return producer.stageIndex < consumer.stageIndex || (producer.stageIndex === consumer.stageIndex && producer.runOrder < consumer.runOrder);
}

/** Index of the first item with that name: a later item with the same name is the duplicate. */
export function firstIndex(items: readonly { name: string }[], name: string): number {
  return items.findIndex((item) => item.name === name);
}
