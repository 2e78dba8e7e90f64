import { Injectable } from '@nestjs/common';
import { NotificationStore, NotificationTables } from '../schema';
import { ExecutionEvent, ExecutionEventType } from './execution-event';

type Query = (sql: string, params?: unknown[]) => Promise<unknown[]>;

export interface StoredEvent {
  position: string;
  eventId: string;
  eventType: ExecutionEventType;
  eventTypeId: string;
  pipeline: string;
  executionId: string;
  time: Date;
  data: Record<string, unknown>;
}

export interface EventFilter {
  pipeline: string;
  executionId: string;
}

interface Row {
  position: string;
  event_id: string;
  event_type: string;
  event_type_id: string;
  pipeline: string;
  execution_id: string;
  time: Date;
  data: Record<string, unknown>;
}

const fromRow = (r: Row): StoredEvent => ({
  position: String(r.position),
  eventId: r.event_id,
  eventType: r.event_type as ExecutionEventType,
  eventTypeId: r.event_type_id,
  pipeline: r.pipeline,
  executionId: r.execution_id,
  time: r.time,
  data: r.data,
});

/** Received execution events in commit order: the backlog WatchEvents streams and deliveries point at. */
@Injectable()
export class EventLog {
  constructor(private readonly db: NotificationStore) {}

  /**
   * Stores an event inside the caller's transaction and returns its position. The lock makes
   * positions commit in order, so a reader that has seen position n never later meets a smaller one.
   */
  static async record(query: Query, tables: NotificationTables, event: ExecutionEvent): Promise<string> {
    await query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [tables.receivedEvents]);
    const rows = (await query(
      `INSERT INTO ${tables.receivedEvents} (event_id, event_type, event_type_id, pipeline, execution_id, time, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING position`,
      [event.eventId, event.eventType, event.eventTypeId, event.pipeline, event.executionId, event.time, JSON.stringify(event.data)],
    )) as { position: string }[];
    return String(rows[0].position);
  }

  async after(position: string, filter: EventFilter, limit: number): Promise<StoredEvent[]> {
    const { store, tables } = await this.db.open();
    const rows = (await store.query(
      `SELECT * FROM ${tables.receivedEvents}
        WHERE position > $1 AND ($2 = '' OR pipeline = $2) AND ($3 = '' OR execution_id = $3)
        ORDER BY position LIMIT $4`,
      [position, filter.pipeline, filter.executionId, limit],
    )) as Row[];
    return rows.map(fromRow);
  }

  async lastPosition(): Promise<string> {
    const { store, tables } = await this.db.open();
    const rows = (await store.query(`SELECT coalesce(max(position), 0) AS position FROM ${tables.receivedEvents}`)) as { position: string }[];
    return String(rows[0].position);
  }
}
