import { DomainError } from '@pipewright/decider';

/** CodePipeline's notification event type ids (docs/events.md), the only ones a rule may select. */
export const EVENT_TYPE_IDS = [
  'codepipeline-pipeline-pipeline-execution-started',
  'codepipeline-pipeline-pipeline-execution-succeeded',
  'codepipeline-pipeline-pipeline-execution-failed',
  'codepipeline-pipeline-pipeline-execution-canceled',
  'codepipeline-pipeline-pipeline-execution-resumed',
  'codepipeline-pipeline-pipeline-execution-superseded',
  'codepipeline-pipeline-stage-execution-started',
  'codepipeline-pipeline-stage-execution-succeeded',
  'codepipeline-pipeline-stage-execution-failed',
  'codepipeline-pipeline-stage-execution-canceled',
  'codepipeline-pipeline-stage-execution-resumed',
  'codepipeline-pipeline-action-execution-started',
  'codepipeline-pipeline-action-execution-succeeded',
  'codepipeline-pipeline-action-execution-failed',
  'codepipeline-pipeline-action-execution-canceled',
  'codepipeline-pipeline-manual-approval-needed',
  'codepipeline-pipeline-manual-approval-succeeded',
  'codepipeline-pipeline-manual-approval-failed',
] as const;

export type EventTypeId = (typeof EVENT_TYPE_IDS)[number];

export const TARGET_TYPES = ['webhook', 'chat', 'email', 'kafka'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export interface Target {
  type: TargetType;
  address: string;
  /** Name of a secret the service holds; '' when none. */
  secretRef: string;
}

export interface NotificationRule {
  name: string;
  /** Empty: every pipeline. */
  pipelines: string[];
  eventTypeIds: EventTypeId[];
  targets: Target[];
  status: 'ENABLED' | 'DISABLED';
  detailType: 'BASIC' | 'FULL';
  created: string;
  updated: string;
}

// The stream of one rule: its vocabulary, state and decisions (pure; time arrives in the command).
export type RuleEvent =
  | { type: 'NotificationRuleCreated'; data: { rule: NotificationRule } }
  | { type: 'NotificationRuleUpdated'; data: { rule: NotificationRule } }
  | { type: 'NotificationRuleDeleted'; data: { name: string; at: string } };

export type RuleState = { status: 'Absent' } | { status: 'Active'; rule: NotificationRule } | { status: 'Deleted'; name: string };

export type RuleCommand =
  | { type: 'CreateNotificationRule'; data: { rule: Omit<NotificationRule, 'created' | 'updated'>; now: string } }
  | { type: 'UpdateNotificationRule'; data: { rule: Omit<NotificationRule, 'created' | 'updated'>; now: string } }
  | { type: 'DeleteNotificationRule'; data: { name: string; now: string } };

export const RULE_EVENT_TYPES: readonly RuleEvent['type'][] = ['NotificationRuleCreated', 'NotificationRuleUpdated', 'NotificationRuleDeleted'];

export class NotificationRuleAlreadyExists extends DomainError {
  readonly code = 'ALREADY_EXISTS' as const;
}

export class NotificationRuleNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}

export const initialRuleState = (): RuleState => ({ status: 'Absent' });

export function evolveRule(state: RuleState, event: RuleEvent): RuleState {
  switch (event.type) {
    case 'NotificationRuleCreated':
    case 'NotificationRuleUpdated':
      return { status: 'Active', rule: event.data.rule };
    case 'NotificationRuleDeleted':
      return { status: 'Deleted', name: event.data.name };
  }
}

export function decideRule(command: RuleCommand, state: RuleState): RuleEvent[] {
  switch (command.type) {
    case 'CreateNotificationRule': {
      const { rule, now } = command.data;
      if (state.status === 'Active') throw new NotificationRuleAlreadyExists(`notification rule ${rule.name} already exists`, { name: rule.name });
      return [{ type: 'NotificationRuleCreated', data: { rule: { ...rule, created: now, updated: now } } }];
    }
    case 'UpdateNotificationRule': {
      const { rule, now } = command.data;
      if (state.status !== 'Active') throw new NotificationRuleNotFound(`notification rule ${rule.name} not found`, { name: rule.name });
      return [{ type: 'NotificationRuleUpdated', data: { rule: { ...rule, created: state.rule.created, updated: now } } }];
    }
    case 'DeleteNotificationRule': {
      const { name, now } = command.data;
      if (state.status !== 'Active') throw new NotificationRuleNotFound(`notification rule ${name} not found`, { name });
      return [{ type: 'NotificationRuleDeleted', data: { name, at: now } }];
    }
  }
}

export const ruleDecider = { decide: decideRule, evolve: evolveRule, initialState: initialRuleState };
