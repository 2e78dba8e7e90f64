import { InvalidRequest, pageSize } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { Metadata } from '@grpc/grpc-js';
import { GrpcMethod } from '@nestjs/microservices';
import { callerAccess } from '@pipewright/service-kit';
import { notificationV1, timestampFromDate } from '@pipewright/contracts';
import { Delivery, DELIVERY_STATUSES } from './delivery';
import { DeliveryRepository } from './delivery-repository';

type Request<K extends keyof notificationV1.NotificationServiceController> = Parameters<notificationV1.NotificationServiceController[K]>[0];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const deliveryMessage = (d: Delivery): notificationV1.Delivery => ({
  deliveryId: d.deliveryId,
  ruleName: d.ruleName,
  target: { type: d.target.type, address: d.target.address, secretRef: d.target.secretRef },
  eventId: d.eventId,
  eventTypeId: d.eventTypeId,
  pipelineName: d.pipeline,
  pipelineExecutionId: d.executionId,
  status: d.status,
  attempts: d.attempts,
  created: timestampFromDate(d.created),
  lastAttemptAt: d.lastAttemptAt ? timestampFromDate(d.lastAttemptAt) : undefined,
  nextAttemptAt: d.nextAttemptAt ? timestampFromDate(d.nextAttemptAt) : undefined,
  lastError: d.lastError,
  lastResponseCode: d.lastResponseCode,
});

/** gRPC adapter of the delivery history: ListDeliveries and RedeliverNotification. */
@Controller()
export class DeliveriesController implements Partial<notificationV1.NotificationServiceController> {
  constructor(private readonly repository: DeliveryRepository) {}

  @GrpcMethod('NotificationService')
  async listDeliveries(request: Request<'listDeliveries'>, metadata?: Metadata): Promise<notificationV1.ListDeliveriesResponse> {
    const limit = pageSize(request.maxResults);
    const status = request.status ?? '';
    const problems = [];
    if (status && !(DELIVERY_STATUSES as readonly string[]).includes(status)) problems.push({ path: 'status', message: `status must be one of ${DELIVERY_STATUSES.join(', ')}` });
    const token = request.nextToken || null;
    if (token !== null && !/^\d{1,18}$/.test(token)) problems.push({ path: 'next_token', message: 'next_token is not one this service issued' });
    if (problems.length) throw new InvalidRequest(problems);
    // A caller allowed on the rule's one pipeline sees that pipeline's deliveries only (a rule once of the same name may have had others).
    const pipeline = callerAccess(metadata)?.resource.pipeline;
    const rows = await this.repository.list({ ruleName: request.ruleName ?? '', targetAddress: request.targetAddress ?? '', status, pipeline }, token, limit + 1);
    const page = rows.slice(0, limit);
    return { deliveries: page.map(deliveryMessage), nextToken: rows.length > limit ? page[page.length - 1].seq : '' };
  }

  @GrpcMethod('NotificationService')
  async redeliverNotification(request: Request<'redeliverNotification'>): Promise<notificationV1.RedeliverNotificationResponse> {
    if (!UUID.test(request.deliveryId ?? '')) throw InvalidRequest.at('delivery_id', 'delivery_id must be a delivery id ListDeliveries returned');
    return { delivery: deliveryMessage(await this.repository.redeliver(request.deliveryId)) };
  }
}
