import { Module } from '@nestjs/common';
import { intEnv } from '@pipewright/service-kit';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PIPELINE_REPOSITORY, PostgresPipelineRepository } from '../pipelines/pipeline-repository';
import { ExecutionRequests } from './execution-requests';
import { GitRemote } from './git-remote';
import { PollHeads } from './poll-heads';
import { SourcePoller } from './source-poller';
import { TriggeredPipelines } from './triggered-pipelines';
import { WebhookDeliveries } from './webhook-deliveries';
import { WebhookEndpoint } from './webhook-endpoint';
import { WebhookRepository } from './webhook-repository';
import { WebhooksController } from './webhooks.controller';
import { WebhooksHandler } from './webhooks.handler';

/**
 * Triggers: webhooks (PutWebhook / ListWebhooks / DeleteWebhook over gRPC, deliveries over HTTP) and
 * polling, each change becoming one ExecutionRequested. Git fetches go under
 * PIPEWRIGHT_GIT_CACHE_DIR (default: the system temp directory).
 */
@Module({
  controllers: [WebhooksController, WebhookEndpoint],
  providers: [
    PostgresPipelineRepository,
    { provide: PIPELINE_REPOSITORY, useExisting: PostgresPipelineRepository },
    { provide: GitRemote, useFactory: () => new GitRemote(process.env.PIPEWRIGHT_GIT_CACHE_DIR || join(tmpdir(), 'pipewright-git-cache'), intEnv('PIPEWRIGHT_GIT_TIMEOUT_MS', 120_000)) },
    TriggeredPipelines,
    WebhookRepository,
    ExecutionRequests,
    PollHeads,
    WebhooksHandler,
    WebhookDeliveries,
    SourcePoller,
  ],
})
export class TriggersModule {}
