import { specification } from '@pipewright/decider';
import { NotificationRule, NotificationRuleAlreadyExists, NotificationRuleNotFound, RuleCommand, ruleDecider, RuleEvent, RuleState } from './rule';

const spec = specification<RuleCommand, RuleEvent, RuleState>(ruleDecider);
const body: Omit<NotificationRule, 'created' | 'updated'> = {
  name: 'deploys',
  pipelines: ['web'],
  eventTypeIds: ['codepipeline-pipeline-pipeline-execution-failed'],
  targets: [{ type: 'webhook', address: 'https://hooks.example.com/x', secretRef: '' }],
  status: 'ENABLED',
  detailType: 'FULL',
};
const t1 = '2026-01-01T00:00:00.000Z';
const t2 = '2026-01-02T00:00:00.000Z';
const created: RuleEvent = { type: 'NotificationRuleCreated', data: { rule: { ...body, created: t1, updated: t1 } } };

describe('notification rule decider', () => {
  it('creates a rule stamped with the command time', () => {
    spec.given([]).when({ type: 'CreateNotificationRule', data: { rule: body, now: t1 } }).then([created]);
  });

  it('refuses to create a rule that exists', () => {
    spec.given([created]).when({ type: 'CreateNotificationRule', data: { rule: body, now: t2 } }).thenThrows(NotificationRuleAlreadyExists);
  });

  it('keeps the creation time on update', () => {
    const changed = { ...body, status: 'DISABLED' as const };
    spec
      .given([created])
      .when({ type: 'UpdateNotificationRule', data: { rule: changed, now: t2 } })
      .then([{ type: 'NotificationRuleUpdated', data: { rule: { ...changed, created: t1, updated: t2 } } }]);
  });

  it('refuses to update or delete a rule that does not exist', () => {
    spec.given([]).when({ type: 'UpdateNotificationRule', data: { rule: body, now: t2 } }).thenThrows(NotificationRuleNotFound);
    spec.given([]).when({ type: 'DeleteNotificationRule', data: { name: 'deploys', now: t2 } }).thenThrows(NotificationRuleNotFound);
  });

  it('deletes, after which the name can be created again', () => {
    const deleted: RuleEvent = { type: 'NotificationRuleDeleted', data: { name: 'deploys', at: t2 } };
    spec.given([created]).when({ type: 'DeleteNotificationRule', data: { name: 'deploys', now: t2 } }).then([deleted]);
    spec.given([created, deleted]).when({ type: 'DeleteNotificationRule', data: { name: 'deploys', now: t2 } }).thenThrows(NotificationRuleNotFound);
    spec
      .given([created, deleted])
      .when({ type: 'CreateNotificationRule', data: { rule: body, now: t2 } })
      .then([{ type: 'NotificationRuleCreated', data: { rule: { ...body, created: t2, updated: t2 } } }]);
  });
});
