import { pageSize } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { notificationV1, timestampFromDate } from '@pipewright/contracts';
import { NotificationRule } from './rule';
import { RulesHandler } from './rules.handler';

type Request<K extends keyof notificationV1.NotificationServiceController> = Parameters<notificationV1.NotificationServiceController[K]>[0];

export const ruleMessage = (rule: NotificationRule): notificationV1.NotificationRule => ({
  name: rule.name,
  pipelines: rule.pipelines,
  eventTypeIds: rule.eventTypeIds,
  targets: rule.targets.map((t) => ({ type: t.type, address: t.address, secretRef: t.secretRef })),
  status: rule.status,
  detailType: rule.detailType,
  created: timestampFromDate(new Date(rule.created)),
  updated: timestampFromDate(new Date(rule.updated)),
});

/** gRPC adapter of the rule operations of NotificationService. */
@Controller()
export class RulesController implements Partial<notificationV1.NotificationServiceController> {
  constructor(private readonly handler: RulesHandler) {}

  @GrpcMethod('NotificationService')
  async createNotificationRule(request: Request<'createNotificationRule'>): Promise<notificationV1.CreateNotificationRuleResponse> {
    return { rule: ruleMessage(await this.handler.create(request.rule, new Date().toISOString())) };
  }

  @GrpcMethod('NotificationService')
  async updateNotificationRule(request: Request<'updateNotificationRule'>): Promise<notificationV1.UpdateNotificationRuleResponse> {
    return { rule: ruleMessage(await this.handler.update(request.rule, new Date().toISOString())) };
  }

  @GrpcMethod('NotificationService')
  async deleteNotificationRule(request: Request<'deleteNotificationRule'>): Promise<notificationV1.DeleteNotificationRuleResponse> {
    await this.handler.delete(request.name, new Date().toISOString());
    return {};
  }

  @GrpcMethod('NotificationService')
  async listNotificationRules(request: Request<'listNotificationRules'>): Promise<notificationV1.ListNotificationRulesResponse> {
    const limit = pageSize(request.maxResults);
    const rules = await this.handler.list(request.pipelineName ?? '', request.nextToken ?? '', limit + 1);
    const page = rules.slice(0, limit);
    return { rules: page.map(ruleMessage), nextToken: rules.length > limit ? page[page.length - 1].name : '' };
  }
}
