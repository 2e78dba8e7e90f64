import { Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { NOTIFICATION_CONFIG, notificationConfig } from './config';
import { DeliveriesController } from './deliveries/deliveries.controller';
import { DeliveryRepository } from './deliveries/delivery-repository';
import { DeliveryWorker } from './deliveries/delivery-worker';
import { EventLog } from './events/event-log';
import { ExecutionEventsConsumer } from './events/execution-events.consumer';
import { Signals } from './events/signals';
import { WatchController } from './events/watch.controller';
import { RuleAccess } from './rules/rule-access';
import { RuleRepository } from './rules/rule-repository';
import { RulesController } from './rules/rules.controller';
import { RulesHandler } from './rules/rules.handler';
import { NotificationStore } from './schema';
import { TargetSender } from './targets/target-sender';

const config = notificationConfig();

@Module({
  imports: [EventSourcingModule.forService({ service: 'notification', schema: config.schema })],
  controllers: [RulesController, DeliveriesController, WatchController],
  providers: [
    { provide: NOTIFICATION_CONFIG, useValue: config },
    NotificationStore,
    Signals,
    RuleRepository,
    RulesHandler,
    RuleAccess,
    EventLog,
    DeliveryRepository,
    TargetSender,
    DeliveryWorker,
    ExecutionEventsConsumer,
  ],
})
export class NotificationModule {}
