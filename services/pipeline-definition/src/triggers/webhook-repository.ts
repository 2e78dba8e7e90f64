import { Injectable, OnModuleInit } from '@nestjs/common';
import { Tag } from '@pipewright/pipeline-model';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { WebhookAuthentication } from './webhook-signature';

export interface WebhookFilterRule {
  jsonPath: string;
  matchEquals: string;
}

export interface Webhook {
  name: string;
  targetPipeline: string;
  targetAction: string;
  filters: WebhookFilterRule[];
  authentication: WebhookAuthentication;
  allowedIpRange: string;
  /** Kept to verify deliveries; never logged and never returned. */
  secretToken: string;
  tags: Tag[];
  created: Date;
  lastTriggered?: Date;
}

/** What happened to one delivery, kept so an operator can tell why a push did or did not start the pipeline. */
export interface WebhookDelivery {
  webhookName: string;
  deliveryId: string;
  host: string;
  outcome: 'Started' | 'AlreadyStarted' | 'Filtered' | 'Ignored' | 'Rejected';
  detail: string;
  revision?: string;
  received: Date;
}

type Query = (sql: string, params?: unknown[]) => Promise<any[]>;

interface WebhookRow {
  name: string;
  target_pipeline: string;
  target_action: string;
  filters: WebhookFilterRule[];
  authentication: WebhookAuthentication;
  allowed_ip_range: string;
  secret_token: string;
  tags: Tag[];
  created: Date;
  last_triggered: Date | null;
}

const fromRow = (r: WebhookRow): Webhook => ({
  name: r.name,
  targetPipeline: r.target_pipeline,
  targetAction: r.target_action,
  filters: r.filters,
  authentication: r.authentication,
  allowedIpRange: r.allowed_ip_range,
  secretToken: r.secret_token,
  tags: r.tags,
  created: r.created,
  lastTriggered: r.last_triggered ?? undefined,
});

/** Webhooks and their deliveries: tables in the service's schema (configuration, not history). */
@Injectable()
export class WebhookRepository implements OnModuleInit {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  private async tables() {
    const store = await this.infrastructure.store();
    return { store, webhooks: `"${store.schema}".webhooks`, deliveries: `"${store.schema}".webhook_deliveries` };
  }

  async onModuleInit(): Promise<void> {
    const { store, webhooks, deliveries } = await this.tables();
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${webhooks} (
         name text PRIMARY KEY, target_pipeline text NOT NULL, target_action text NOT NULL, filters jsonb NOT NULL,
         authentication text NOT NULL, allowed_ip_range text NOT NULL, secret_token text NOT NULL, tags jsonb NOT NULL,
         created timestamptz NOT NULL, last_triggered timestamptz)`,
    );
    await store.query(`CREATE INDEX IF NOT EXISTS webhooks_target ON ${webhooks} (target_pipeline, target_action)`);
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${deliveries} (
         id bigserial PRIMARY KEY, webhook_name text NOT NULL, delivery_id text NOT NULL, host text NOT NULL,
         outcome text NOT NULL, detail text NOT NULL, revision text, received timestamptz NOT NULL)`,
    );
  }

  /** Creates the webhook or replaces its definition (PutWebhook is both); the creation time stays. */
  async put(webhook: Webhook): Promise<Webhook> {
    const { store, webhooks } = await this.tables();
    const [row] = await store.query(
      `INSERT INTO ${webhooks} AS w (name, target_pipeline, target_action, filters, authentication, allowed_ip_range, secret_token, tags, created)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (name) DO UPDATE SET target_pipeline = excluded.target_pipeline, target_action = excluded.target_action,
         filters = excluded.filters, authentication = excluded.authentication, allowed_ip_range = excluded.allowed_ip_range,
         secret_token = excluded.secret_token, tags = excluded.tags
       RETURNING *`,
      [webhook.name, webhook.targetPipeline, webhook.targetAction, JSON.stringify(webhook.filters), webhook.authentication, webhook.allowedIpRange, webhook.secretToken, JSON.stringify(webhook.tags), webhook.created],
    );
    return fromRow(row as WebhookRow);
  }

  async get(name: string): Promise<Webhook | undefined> {
    const { store, webhooks } = await this.tables();
    const [row] = await store.query(`SELECT * FROM ${webhooks} WHERE name = $1`, [name]);
    return row ? fromRow(row as WebhookRow) : undefined;
  }

  async list(afterName: string, limit: number): Promise<Webhook[]> {
    const { store, webhooks } = await this.tables();
    const rows = await store.query(`SELECT * FROM ${webhooks} WHERE name > $1 ORDER BY name LIMIT $2`, [afterName, limit]);
    return (rows as WebhookRow[]).map(fromRow);
  }

  async delete(name: string): Promise<void> {
    const { store, webhooks } = await this.tables();
    await store.query(`DELETE FROM ${webhooks} WHERE name = $1`, [name]);
  }

  /** Whether a webhook reports the changes of this source action (then nobody needs to poll it). */
  async targets(query: Query, pipeline: string, action: string): Promise<boolean> {
    const { webhooks } = await this.tables();
    const rows = await query(`SELECT 1 FROM ${webhooks} WHERE target_pipeline = $1 AND target_action = $2 LIMIT 1`, [pipeline, action]);
    return rows.length > 0;
  }

  async recordDelivery(query: Query, delivery: WebhookDelivery): Promise<void> {
    const { deliveries, webhooks } = await this.tables();
    await query(
      `INSERT INTO ${deliveries} (webhook_name, delivery_id, host, outcome, detail, revision, received) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [delivery.webhookName, delivery.deliveryId, delivery.host, delivery.outcome, delivery.detail, delivery.revision ?? null, delivery.received],
    );
    if (delivery.outcome === 'Started') await query(`UPDATE ${webhooks} SET last_triggered = $2 WHERE name = $1`, [delivery.webhookName, delivery.received]);
  }

  async deliveries(webhookName: string): Promise<WebhookDelivery[]> {
    const { store, deliveries } = await this.tables();
    const rows = await store.query(`SELECT * FROM ${deliveries} WHERE webhook_name = $1 ORDER BY id`, [webhookName]);
    return rows.map((r: any) => ({ webhookName: r.webhook_name, deliveryId: r.delivery_id, host: r.host, outcome: r.outcome, detail: r.detail, revision: r.revision ?? undefined, received: r.received }));
  }
}


export const webhookArn = (name: string) => `arn:pipewright:codepipeline:::webhook:${name}`;
