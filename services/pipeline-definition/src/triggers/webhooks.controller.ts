import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { pageSize } from '@pipewright/decider';
import { pipelineV1, timestampFromDate } from '@pipewright/contracts';
import { InvalidWebhookDefinition } from './errors';
import { Webhook, webhookArn } from './webhook-repository';
import { webhookUrl, WebhooksHandler } from './webhooks.handler';

type Request<K extends keyof pipelineV1.PipelineServiceController> = Parameters<pipelineV1.PipelineServiceController[K]>[0];

/** Shown in place of a secret: it says one is set and gives nothing of it away. */
const MASKED_SECRET = '****';

function item(webhook: Webhook): pipelineV1.ListWebhookItem {
  return {
    definition: {
      name: webhook.name,
      targetPipeline: webhook.targetPipeline,
      targetAction: webhook.targetAction,
      filters: webhook.filters,
      authentication: webhook.authentication,
      authenticationConfiguration: { allowedIpRange: webhook.allowedIpRange, secretToken: webhook.secretToken ? MASKED_SECRET : '' },
    },
    url: webhookUrl(webhook.name),
    errorMessage: '',
    errorCode: '',
    lastTriggered: webhook.lastTriggered ? timestampFromDate(webhook.lastTriggered) : undefined,
    arn: webhookArn(webhook.name),
    tags: webhook.tags,
  };
}

/** gRPC adapter of PutWebhook, ListWebhooks, DeleteWebhook. */
@Controller()
export class WebhooksController implements Pick<pipelineV1.PipelineServiceController, 'putWebhook' | 'listWebhooks' | 'deleteWebhook'> {
  constructor(private readonly handler: WebhooksHandler) {}

  @GrpcMethod('PipelineService')
  async putWebhook(request: Request<'putWebhook'>): Promise<pipelineV1.PutWebhookResponse> {
    const definition = request.webhook;
    if (!definition) throw new InvalidWebhookDefinition([{ path: 'webhook', message: 'webhook is required' }]);
    const auth = definition.authenticationConfiguration;
    const webhook = await this.handler.put(
      {
        name: definition.name ?? '',
        targetPipeline: definition.targetPipeline ?? '',
        targetAction: definition.targetAction ?? '',
        filters: (definition.filters ?? []).map((f) => ({ jsonPath: f.jsonPath ?? '', matchEquals: f.matchEquals ?? '' })),
        authentication: definition.authentication ?? '',
        allowedIpRange: auth?.allowedIpRange ?? '',
        secretToken: auth?.secretToken ?? '',
        tags: (request.tags ?? []).map((t) => ({ key: t.key, value: t.value })),
      },
      new Date(),
    );
    return { webhook: item(webhook) };
  }

  @GrpcMethod('PipelineService')
  async listWebhooks(request: Request<'listWebhooks'>): Promise<pipelineV1.ListWebhooksResponse> {
    const limit = pageSize(request.maxResults, 100);
    const rows = await this.handler.list(request.nextToken ?? '', limit + 1);
    const page = rows.slice(0, limit);
    return { webhooks: page.map(item), nextToken: rows.length > limit ? page[page.length - 1].name : '' };
  }

  @GrpcMethod('PipelineService')
  async deleteWebhook(request: Request<'deleteWebhook'>): Promise<pipelineV1.DeleteWebhookResponse> {
    await this.handler.delete(request.name ?? '');
    return {};
  }
}
