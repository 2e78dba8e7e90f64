import { Injectable, OnModuleInit } from '@nestjs/common';
import { EventStore } from '@pipewright/event-store';
import { ServiceInfrastructure } from '@pipewright/service-kit';

/** The service's own tables beside its event log, all in its schema. */
export function notificationTables(schema: string) {
  const s = `"${schema}"`;
  return {
    rules: `${s}.notification_rules`,
    receivedEvents: `${s}.received_events`,
    deliveries: `${s}.deliveries`,
    attempts: `${s}.delivery_attempts`,
  };
}

export type NotificationTables = ReturnType<typeof notificationTables>;

function ddl(t: NotificationTables): string[] {
  return [
    // Read model of the rule streams; rebuilt by replaying NotificationRule* events through RuleRepository.project.
    `CREATE TABLE IF NOT EXISTS ${t.rules} (
       name text PRIMARY KEY, pipelines text[] NOT NULL, event_type_ids text[] NOT NULL, targets jsonb NOT NULL,
       status text NOT NULL, detail_type text NOT NULL, created timestamptz NOT NULL, updated timestamptz NOT NULL)`,
    // Every execution event received, in the order it committed: WatchEvents resumes from a position here.
    `CREATE TABLE IF NOT EXISTS ${t.receivedEvents} (
       position bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, event_type text NOT NULL, event_type_id text NOT NULL,
       pipeline text NOT NULL, execution_id text NOT NULL, time timestamptz NOT NULL, data jsonb NOT NULL,
       received_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE INDEX IF NOT EXISTS received_events_pipeline ON ${t.receivedEvents} (pipeline, position)`,
    `CREATE INDEX IF NOT EXISTS received_events_execution ON ${t.receivedEvents} (execution_id, position)`,
    `CREATE TABLE IF NOT EXISTS ${t.deliveries} (
       delivery_id uuid PRIMARY KEY, seq bigserial NOT NULL UNIQUE, rule_name text NOT NULL,
       target_type text NOT NULL, target_address text NOT NULL, secret_ref text NOT NULL, detail_type text NOT NULL,
       event_position bigint NOT NULL REFERENCES ${t.receivedEvents} (position), event_id text NOT NULL, event_type_id text NOT NULL,
       pipeline text NOT NULL, execution_id text NOT NULL, status text NOT NULL, attempts integer NOT NULL DEFAULT 0,
       created timestamptz NOT NULL DEFAULT now(), last_attempt_at timestamptz, next_attempt_at timestamptz,
       lease_until timestamptz, last_error text NOT NULL DEFAULT '', last_response_code integer NOT NULL DEFAULT 0,
       redelivery_of uuid REFERENCES ${t.deliveries} (delivery_id))`,
    // The trace context of the event a delivery is for, so its sends join the execution's trace.
    `ALTER TABLE ${t.deliveries} ADD COLUMN IF NOT EXISTS trace_context jsonb`,
    // One delivery per (event, rule, target); a redelivery is a new delivery of the same triple.
    `CREATE UNIQUE INDEX IF NOT EXISTS deliveries_once ON ${t.deliveries} (event_id, rule_name, target_type, target_address) WHERE redelivery_of IS NULL`,
    `CREATE INDEX IF NOT EXISTS deliveries_due ON ${t.deliveries} (next_attempt_at) WHERE status IN ('Pending', 'Retrying')`,
    `CREATE INDEX IF NOT EXISTS deliveries_rule ON ${t.deliveries} (rule_name, seq)`,
    `CREATE TABLE IF NOT EXISTS ${t.attempts} (
       delivery_id uuid NOT NULL REFERENCES ${t.deliveries} (delivery_id), attempt integer NOT NULL,
       started_at timestamptz NOT NULL, finished_at timestamptz, latency_ms integer, response_code integer, error text,
       succeeded boolean, PRIMARY KEY (delivery_id, attempt))`,
  ];
}

/** The event store plus the service's tables, created once on start. */
@Injectable()
export class NotificationStore implements OnModuleInit {
  private ready?: Promise<{ store: EventStore; tables: NotificationTables }>;

  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  onModuleInit(): Promise<unknown> {
    return this.open();
  }

  open(): Promise<{ store: EventStore; tables: NotificationTables }> {
    this.ready ??= (async () => {
      const store = await this.infrastructure.store();
      const tables = notificationTables(store.schema);
      // Serialised so replicas starting together do not race on CREATE … IF NOT EXISTS.
      await store.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${store.schema}.notification-ddl`]);
        for (const statement of ddl(tables)) await tx.query(statement);
      });
      return { store, tables };
    })();
    return this.ready;
  }
}
