import { InvalidRequest } from '@pipewright/decider';
import { Inject, Injectable } from '@nestjs/common';
import { StreamVersionConflict } from '@pipewright/event-store';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import { decideRule, NotificationRule, RuleCommand, RuleEvent } from './rule';
import { RuleRepository } from './rule-repository';
import { RuleInput, validateRule } from './rule-validation';

const MAX_CONFLICT_RETRIES = 5;

/** Create, update, delete and list rules: validate, decide on the folded stream, append. */
@Injectable()
export class RulesHandler {
  constructor(
    private readonly repository: RuleRepository,
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
  ) {}

  async create(input: RuleInput | null | undefined, now: string): Promise<NotificationRule> {
    const rule = this.validated(input);
    return ruleOf(await this.execute(rule.name, { type: 'CreateNotificationRule', data: { rule, now } }));
  }

  async update(input: RuleInput | null | undefined, now: string): Promise<NotificationRule> {
    const rule = this.validated(input);
    return ruleOf(await this.execute(rule.name, { type: 'UpdateNotificationRule', data: { rule, now } }));
  }

  async delete(name: string, now: string): Promise<void> {
    if (!name) throw InvalidRequest.at('name', 'name is required');
    await this.execute(name, { type: 'DeleteNotificationRule', data: { name, now } });
  }

  list(pipeline: string, afterName: string, limit: number): Promise<NotificationRule[]> {
    return this.repository.list(pipeline, afterName, limit);
  }

  private validated(input: RuleInput | null | undefined) {
    const result = validateRule(input, {
      allowPrivateTargets: this.config.allowPrivateTargets,
      secretNames: new Set(this.config.secrets.keys()),
      smtpConfigured: this.config.smtpUrl !== undefined,
    });
    if (!result.ok) throw new InvalidRequest(result.problems);
    return result.rule;
  }

  /** Load, decide, append at the loaded version; on a concurrent append, decide again. */
  private async execute(name: string, command: RuleCommand): Promise<RuleEvent[]> {
    for (let attempt = 1; ; attempt++) {
      const { state, streamVersion } = await this.repository.load(name);
      const events = decideRule(command, state);
      try {
        await this.repository.save(name, streamVersion, events);
        return events;
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }
}

function ruleOf(events: RuleEvent[]): NotificationRule {
  const event = events[0];
  if (event.type === 'NotificationRuleDeleted') throw new Error('expected a rule event with the rule');
  return event.data.rule;
}
