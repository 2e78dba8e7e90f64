import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { pipelineV1 } from '@pipewright/contracts';
import { DomainError } from '@pipewright/decider';
import { ExecutionTrigger, SourceRevisionOverride } from '@pipewright/execution-domain';
import { ReceivedEvent, Topics } from '@pipewright/messaging';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { consumerGroup } from '../config';
import { eventData, optional } from './event-data';
import { ExecutionsHandler } from './executions.handler';
import { declarationFromMessage } from './pipeline-declarations';

/** ExecutionRequested (webhooks, polling, CreatePipeline): the request carries the declaration to run. */
@Injectable()
export class ExecutionRequestsConsumer implements OnApplicationBootstrap {
  private readonly logger = new Logger('execution-requests');
  private readonly group = consumerGroup('execution-requests');

  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    private readonly handler: ExecutionsHandler,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.infrastructure.messaging.start();
    await this.infrastructure.messaging.subscribe({ groupId: this.group, topics: [Topics.ExecutionRequests], handler: (received) => this.handle(received) });
  }

  async handle({ event }: ReceivedEvent): Promise<void> {
    const message = eventData(event, ['pipewright.pipeline.v1.ExecutionRequested'] as const);
    if (!message) {
      this.logger.warn(`skipping unknown event type ${event.type} (${event.id})`);
      return;
    }
    const request = message.data as pipelineV1.ExecutionRequested;
    try {
      const id = await this.handler.start({
        pipelineName: request.pipelineName,
        pipeline: { declaration: declarationFromMessage(request.declaration, 'declaration'), version: request.pipelineVersion || 1 },
        trigger: { triggerType: (request.trigger?.triggerType || 'StartPipelineExecution') as ExecutionTrigger['triggerType'], triggerDetail: optional(request.trigger?.triggerDetail) },
        variables: request.variables,
        sourceRevisions: request.sourceRevisions as SourceRevisionOverride[],
        idempotencyKey: request.clientRequestToken || request.requestId || event.id,
        before: (tx) => tx.markProcessed(this.group, event.id),
        cause: { causationId: event.id, actor: `trigger:${request.trigger?.triggerType || 'StartPipelineExecution'}` },
      });
      this.logger.log(`execution ${id} of ${request.pipelineName} requested by ${request.trigger?.triggerType ?? 'unknown trigger'}`);
    } catch (error) {
      // A request that cannot start (unknown variable, bad declaration) never will: log it and move on.
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn(`execution request ${event.id} for ${request.pipelineName} refused: ${error.name}: ${error.message}`);
    }
  }
}
