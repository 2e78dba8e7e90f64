import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { pickTraceHeaders, traceHeadersOf } from '@pipewright/telemetry';
import { ExecutionEvent } from '../events/execution-event';
import { NotificationRule } from '../rules/rule';
import { NotificationStore, NotificationTables } from '../schema';
import { AttemptOutcome, ClaimedDelivery, Delivery, DeliveryNotFinished, DeliveryNotFound, DeliveryStatus } from './delivery';

type Query = (sql: string, params?: unknown[]) => Promise<unknown[]>;

export interface DeliveryFilter {
  ruleName: string;
  targetAddress: string;
  status: string;
  /** Only deliveries of this pipeline's events (the pipeline the caller was authorized on). */
  pipeline?: string;
}

const fromRow = (r: Record<string, any>): Delivery => ({
  deliveryId: r.delivery_id,
  seq: String(r.seq),
  ruleName: r.rule_name,
  target: { type: r.target_type, address: r.target_address, secretRef: r.secret_ref },
  detailType: r.detail_type,
  eventId: r.event_id,
  eventTypeId: r.event_type_id,
  pipeline: r.pipeline,
  executionId: r.execution_id,
  status: r.status,
  attempts: r.attempts,
  created: r.created,
  lastAttemptAt: r.last_attempt_at,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  lastResponseCode: r.last_response_code,
});

/** The deliveries table and its attempts: what is due, what happened, and redelivery. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: NotificationStore) {}

  /** One delivery per (event, rule, target), written in the transaction that stored the event. */
  static async recordFor(query: Query, tables: NotificationTables, position: string, event: ExecutionEvent, rules: NotificationRule[]): Promise<number> {
    const rows = rules.flatMap((rule) => rule.targets.map((target) => ({ rule, target })));
    if (rows.length === 0) return 0;
    const inserted = await query(
      `INSERT INTO ${tables.deliveries} (delivery_id, rule_name, target_type, target_address, secret_ref, detail_type,
          event_position, event_id, event_type_id, pipeline, execution_id, status, next_attempt_at, trace_context)
       SELECT d.id, d.rule, d.type, d.address, d.secret, d.detail, $7, $8, $9, $10, $11, 'Pending', now(), $12::jsonb
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS d(id, rule, type, address, secret, detail)
       ON CONFLICT DO NOTHING RETURNING delivery_id`,
      [
        rows.map(() => randomUUID()),
        rows.map((r) => r.rule.name),
        rows.map((r) => r.target.type),
        rows.map((r) => r.target.address),
        rows.map((r) => r.target.secretRef),
        rows.map((r) => r.rule.detailType),
        position,
        event.eventId,
        event.eventTypeId,
        event.pipeline,
        event.executionId,
        JSON.stringify(traceHeadersOf()),
      ],
    );
    return inserted.length;
  }

  /**
   * Leases up to `limit` due deliveries and counts their attempt. A worker that dies mid-send leaves
   * the lease to expire, and the delivery is sent again: at least once.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const { store, tables } = await this.db.open();
    const rows = (await store.query(
      `WITH due AS (
         SELECT delivery_id FROM ${tables.deliveries}
          WHERE status IN ('Pending', 'Retrying') AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
          ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE ${tables.deliveries} d SET attempts = d.attempts + 1, last_attempt_at = now(),
                lease_until = now() + make_interval(secs => $2::double precision / 1000)
           FROM due WHERE d.delivery_id = due.delivery_id RETURNING d.*
       ), logged AS (
         INSERT INTO ${tables.attempts} (delivery_id, attempt, started_at) SELECT delivery_id, attempts, now() FROM claimed
       )
       SELECT c.*, e.position AS e_position, e.event_type AS e_event_type, e.time AS e_time, e.data AS e_data
         FROM claimed c JOIN ${tables.receivedEvents} e ON e.position = c.event_position`,
      [limit, leaseMs],
    )) as Record<string, any>[];
    return rows.map((r) => ({
      ...fromRow(r),
      trace: pickTraceHeaders(r.trace_context),
      event: {
        position: String(r.e_position),
        eventId: r.event_id,
        eventType: r.e_event_type,
        eventTypeId: r.event_type_id,
        pipeline: r.pipeline,
        executionId: r.execution_id,
        time: r.e_time,
        data: r.e_data,
      },
    }));
  }

  /** Records the attempt and moves the delivery on, unless a later attempt has taken it over. */
  async finish(delivery: ClaimedDelivery, outcome: AttemptOutcome, next: { status: DeliveryStatus; nextAttemptAt: Date | null }): Promise<void> {
    const { store, tables } = await this.db.open();
    await store.transaction(async (tx) => {
      await tx.query(
        `UPDATE ${tables.attempts} SET finished_at = now(), latency_ms = $3, response_code = $4, error = $5, succeeded = $6
          WHERE delivery_id = $1 AND attempt = $2`,
        [delivery.deliveryId, delivery.attempts, Math.round(outcome.latencyMs), outcome.responseCode ?? null, outcome.error ?? null, outcome.succeeded],
      );
      await tx.query(
        `UPDATE ${tables.deliveries} SET status = $3, next_attempt_at = $4, lease_until = NULL, last_error = $5, last_response_code = $6
          WHERE delivery_id = $1 AND attempts = $2 AND status IN ('Pending', 'Retrying')`,
        [delivery.deliveryId, delivery.attempts, next.status, next.nextAttemptAt, outcome.error ?? '', outcome.responseCode ?? 0],
      );
    });
  }

  /** Newest first; the page token is the last delivery's sequence number. */
  async list(filter: DeliveryFilter, beforeSeq: string | null, limit: number): Promise<Delivery[]> {
    const { store, tables } = await this.db.open();
    const rows = (await store.query(
      `SELECT * FROM ${tables.deliveries}
        WHERE ($1 = '' OR rule_name = $1) AND ($2 = '' OR target_address = $2) AND ($3 = '' OR status = $3)
          AND ($4::bigint IS NULL OR seq < $4::bigint) AND ($6::text IS NULL OR pipeline = $6)
        ORDER BY seq DESC LIMIT $5`,
      [filter.ruleName, filter.targetAddress, filter.status, beforeSeq, limit, filter.pipeline ?? null],
    )) as Record<string, any>[];
    return rows.map(fromRow);
  }

  /** The rule and the event's pipeline of one delivery (for authorization); undefined when there is none. */
  async find(deliveryId: string): Promise<Pick<Delivery, 'ruleName' | 'pipeline'> | undefined> {
    const { store, tables } = await this.db.open();
    const rows = (await store.query(`SELECT rule_name, pipeline FROM ${tables.deliveries} WHERE delivery_id = $1`, [deliveryId])) as { rule_name: string; pipeline: string }[];
    return rows[0] && { ruleName: rows[0].rule_name, pipeline: rows[0].pipeline };
  }

  /** A new delivery of a finished one's event to the same target, due now. */
  async redeliver(deliveryId: string): Promise<Delivery> {
    const { store, tables } = await this.db.open();
    return store.transaction(async (tx) => {
      const [old] = (await tx.query(`SELECT * FROM ${tables.deliveries} WHERE delivery_id = $1 FOR UPDATE`, [deliveryId])) as Record<string, any>[];
      if (!old) throw new DeliveryNotFound(`delivery ${deliveryId} not found`, { deliveryId });
      if (old.status !== 'Delivered' && old.status !== 'DeadLettered') {
        throw new DeliveryNotFinished(`delivery ${deliveryId} is ${old.status}; only Delivered or DeadLettered deliveries can be redelivered`, { deliveryId, status: old.status });
      }
      const [row] = (await tx.query(
        `INSERT INTO ${tables.deliveries} (delivery_id, rule_name, target_type, target_address, secret_ref, detail_type,
            event_position, event_id, event_type_id, pipeline, execution_id, status, next_attempt_at, redelivery_of)
         SELECT $2, rule_name, target_type, target_address, secret_ref, detail_type, event_position, event_id, event_type_id,
                pipeline, execution_id, 'Pending', now(), delivery_id
           FROM ${tables.deliveries} WHERE delivery_id = $1 RETURNING *`,
        [deliveryId, randomUUID()],
      )) as Record<string, any>[];
      return fromRow(row);
    });
  }
}
