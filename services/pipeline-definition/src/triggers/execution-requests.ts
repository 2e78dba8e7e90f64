import { Injectable, OnModuleInit } from '@nestjs/common';
import { pipelineV1, timestampFromDate } from '@pipewright/contracts';
import { EventStoreTransaction } from '@pipewright/event-store';
import { CONTENT_TYPE_PROTOBUF, Topics } from '@pipewright/messaging';
import { PipelineDeclaration } from '@pipewright/pipeline-model';
import { outboxMessage, ServiceInfrastructure } from '@pipewright/service-kit';
import { randomUUID } from 'node:crypto';

/** A source change that passed a pipeline's trigger rule. */
export interface TriggeredRevision {
  pipelineName: string;
  pipelineVersion: number;
  declaration: PipelineDeclaration;
  sourceAction: string;
  /** The commit id. */
  revision: string;
  /** CodePipeline's trigger types: Webhook, WebhookV2, PollForSourceChanges. */
  triggerType: 'Webhook' | 'WebhookV2' | 'PollForSourceChanges';
  triggerDetail: string;
  at: Date;
}

export const EXECUTION_REQUESTED = 'pipewright.pipeline.v1.ExecutionRequested';

/**
 * Turns triggered revisions into ExecutionRequested events, once per (pipeline, source action,
 * revision) however many webhooks and polls report it: the seen row and the outbox message commit
 * together, in the caller's transaction.
 */
@Injectable()
export class ExecutionRequests implements OnModuleInit {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  private table(schema: string) {
    return `"${schema}".trigger_revisions`;
  }

  async onModuleInit(): Promise<void> {
    const store = await this.infrastructure.store();
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${this.table(store.schema)} (
         pipeline_name text NOT NULL, source_action text NOT NULL, revision text NOT NULL,
         trigger_type text NOT NULL, trigger_detail text NOT NULL, request_id uuid NOT NULL, recorded timestamptz NOT NULL,
         PRIMARY KEY (pipeline_name, source_action, revision))`,
    );
  }

  /** True when this revision is new and its execution was requested; false when it was seen before. */
  async request(tx: EventStoreTransaction, change: TriggeredRevision): Promise<boolean> {
    const store = await this.infrastructure.store();
    const requestId = randomUUID();
    const inserted = await tx.query(
      `INSERT INTO ${this.table(store.schema)} (pipeline_name, source_action, revision, trigger_type, trigger_detail, request_id, recorded)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING request_id`,
      [change.pipelineName, change.sourceAction, change.revision, change.triggerType, change.triggerDetail, requestId, change.at],
    );
    if (inserted.length === 0) return false;
    await tx.enqueueOutbox([executionRequested(change, requestId)]);
    return true;
  }
}

function executionRequested(change: TriggeredRevision, requestId: string) {
  const message: pipelineV1.ExecutionRequested = {
    pipelineName: change.pipelineName,
    pipelineVersion: change.pipelineVersion,
    declaration: pipelineV1.PipelineDeclaration.fromJSON(change.declaration),
    trigger: { triggerType: change.triggerType, triggerDetail: change.triggerDetail },
    sourceRevisions: [{ actionName: change.sourceAction, revisionType: 'COMMIT_ID', revisionValue: change.revision }],
    variables: [],
    // The orchestrator dedupes on it too: a revision reported twice is one execution end to end.
    clientRequestToken: `source:${change.sourceAction}:${change.revision}`,
    requestId,
    time: timestampFromDate(change.at),
  };
  return outboxMessage(Topics.ExecutionRequests, change.pipelineName, {
    id: requestId,
    source: '/pipewright/pipeline-definition',
    type: EXECUTION_REQUESTED,
    time: change.at,
    subject: change.pipelineName,
    datacontenttype: CONTENT_TYPE_PROTOBUF,
    data: pipelineV1.ExecutionRequested.encode(message).finish(),
  });
}
