import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ReceivedEvent, Topics } from '@pipewright/messaging';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import { DeliveryRepository } from '../deliveries/delivery-repository';
import { RuleRepository } from '../rules/rule-repository';
import { NotificationStore } from '../schema';
import { EventLog } from './event-log';
import { readExecutionEvent } from './execution-event';
import { Signals } from './signals';

const CONSUMER = 'execution-events';

/**
 * Execution events in: each is stored (for WatchEvents), matched against the rules and given its
 * deliveries, all in one transaction that also marks the CloudEvent id processed — a redelivered
 * message changes nothing.
 */
@Injectable()
export class ExecutionEventsConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger(CONSUMER);

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    private readonly db: NotificationStore,
    private readonly signals: Signals,
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.db.open();
    await this.infrastructure.messaging.start();
    await this.infrastructure.messaging.subscribe({
      groupId: this.config.groupId,
      topics: [Topics.ExecutionEvents],
      fromBeginning: this.config.startFromBeginning,
      handler: (received) => this.handle(received),
    });
  }

  async handle({ event: cloudEvent }: ReceivedEvent): Promise<void> {
    const event = readExecutionEvent(cloudEvent);
    if (!event) {
      this.logger.warn(`skipping unknown event type ${cloudEvent.type} (${cloudEvent.id})`);
      return;
    }
    const { store, tables } = await this.db.open();
    const deliveries = await store.transaction(async (tx) => {
      if (!(await tx.markProcessed(CONSUMER, event.eventId))) return -1;
      const position = await EventLog.record(tx.query, tables, event);
      if (!event.eventTypeId) return 0;
      const rules = await RuleRepository.matching(tx.query, tables, event.pipeline, event.eventTypeId);
      return DeliveryRepository.recordFor(tx.query, tables, position, event, rules);
    });
    if (deliveries < 0) return;
    this.signals.notify('events');
    if (deliveries > 0) this.signals.notify('deliveries');
  }
}
