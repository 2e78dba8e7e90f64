import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Resource } from '@pipewright/security';
import { provideResourceLookup } from '@pipewright/service-kit';
import { DeliveryRepository } from '../deliveries/delivery-repository';
import { NotificationRule } from './rule';
import { RuleRepository } from './rule-repository';

/** The one pipeline a rule is on; a rule on several or all pipelines is system-wide (undefined). */
export const pipelineOfRule = (pipelines: readonly string[] | undefined): string | undefined => (pipelines?.length === 1 ? pipelines[0] : undefined);

export interface RuleFinder {
  rule(name: string): Promise<Pick<NotificationRule, 'pipelines'> | undefined>;
  delivery(deliveryId: string): Promise<{ ruleName: string; pipeline: string } | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const at = (pipeline: string | undefined): Resource => (pipeline ? { pipeline } : {});

/**
 * Where a rule or delivery operation's resource is (the guard's lookup; docs/security.md): the
 * existing rule's one pipeline. Updating a rule needs it on the same pipeline before and after, so
 * nobody moves another pipeline's rule onto their own; a delivery counts as its rule's pipeline only
 * when its event is of that pipeline too. Anything else, unknown names and ids included, is system-wide.
 */
export async function notificationResource(method: string, request: unknown, find: RuleFinder): Promise<Resource> {
  const r = request as { name?: string; ruleName?: string; deliveryId?: string; rule?: { name?: string; pipelines?: string[] } };
  switch (method) {
    case 'UpdateNotificationRule': {
      const wanted = pipelineOfRule(r.rule?.pipelines);
      const existing = r.rule?.name ? await find.rule(r.rule.name) : undefined;
      return at(!existing || pipelineOfRule(existing.pipelines) === wanted ? wanted : undefined);
    }
    case 'DeleteNotificationRule':
      return at(r.name ? pipelineOfRule((await find.rule(r.name))?.pipelines) : undefined);
    case 'ListDeliveries':
      return at(r.ruleName ? pipelineOfRule((await find.rule(r.ruleName))?.pipelines) : undefined);
    case 'RedeliverNotification': {
      const delivery = UUID.test(r.deliveryId ?? '') ? await find.delivery(r.deliveryId!) : undefined;
      const pipeline = delivery && pipelineOfRule((await find.rule(delivery.ruleName))?.pipelines);
      return at(pipeline === delivery?.pipeline ? pipeline : undefined);
    }
    default:
      return {};
  }
}

@Injectable()
export class RuleAccess implements OnModuleInit {
  constructor(
    private readonly rules: RuleRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  onModuleInit(): void {
    const find: RuleFinder = { rule: (name) => this.rules.find(name), delivery: (id) => this.deliveries.find(id) };
    provideResourceLookup('NotificationService', (method, request) => notificationResource(method, request, find));
  }
}
