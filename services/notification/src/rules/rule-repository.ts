import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ExpectedVersion, RecordedEvent } from '@pipewright/event-store';
import { NotificationStore, NotificationTables } from '../schema';
import { evolveRule, initialRuleState, NotificationRule, RuleEvent, RuleState } from './rule';

type Query = (sql: string, params?: unknown[]) => Promise<unknown[]>;

export const ruleStream = (name: string) => `notification-rule-${name}`;

interface RuleRow {
  name: string;
  pipelines: string[];
  event_type_ids: string[];
  targets: NotificationRule['targets'];
  status: string;
  detail_type: string;
  created: Date;
  updated: Date;
}

export const ruleFromRow = (r: RuleRow): NotificationRule => ({
  name: r.name,
  pipelines: r.pipelines,
  eventTypeIds: r.event_type_ids as NotificationRule['eventTypeIds'],
  targets: r.targets,
  status: r.status as NotificationRule['status'],
  detailType: r.detail_type as NotificationRule['detailType'],
  created: r.created.toISOString(),
  updated: r.updated.toISOString(),
});

/** Rule streams in the log, and the rules table projected from them in the same transaction. */
@Injectable()
export class RuleRepository implements OnModuleInit {
  private readonly logger = new Logger('rules');

  constructor(private readonly db: NotificationStore) {}

  /** The read model is a cache of the log: rebuilt from it on every start, before any call is served. */
  async onModuleInit(): Promise<void> {
    const { store, tables } = await this.db.open();
    const count = await store.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [tables.rules]);
      const events = (await tx.query(
        `SELECT type, data FROM ${store.tables.events} WHERE stream_id LIKE 'notification-rule-%' ORDER BY stream_id, stream_version`,
      )) as RuleEvent[];
      await tx.query(`DELETE FROM ${tables.rules}`);
      for (const event of events) await project(tx.query, tables, event);
      return events.length;
    });
    this.logger.log(`rules read model rebuilt from ${count} events`);
  }

  async load(name: string): Promise<{ state: RuleState; streamVersion: number }> {
    const { store } = await this.db.open();
    const events = (await store.readStream(ruleStream(name))) as RecordedEvent<RuleEvent['type']>[];
    const state = events.reduce((s, e) => evolveRule(s, { type: e.type, data: e.data } as RuleEvent), initialRuleState());
    return { state, streamVersion: events.length ? events[events.length - 1].streamVersion : 0 };
  }

  async save(name: string, expected: ExpectedVersion, events: RuleEvent[]): Promise<void> {
    const { store, tables } = await this.db.open();
    await store.transaction(async (tx) => {
      await tx.append(ruleStream(name), expected, events);
      for (const event of events) await project(tx.query, tables, event);
    });
  }

  /** The rule as the read model has it (undefined when there is none by that name). */
  async find(name: string): Promise<NotificationRule | undefined> {
    const { store, tables } = await this.db.open();
    const rows = (await store.query(`SELECT * FROM ${tables.rules} WHERE name = $1`, [name])) as RuleRow[];
    return rows[0] && ruleFromRow(rows[0]);
  }

  async list(pipeline: string, afterName: string, limit: number): Promise<NotificationRule[]> {
    const { store, tables } = await this.db.open();
    const rows = (await store.query(
      `SELECT * FROM ${tables.rules} WHERE name > $1 AND ($2 = '' OR cardinality(pipelines) = 0 OR $2 = ANY(pipelines)) ORDER BY name LIMIT $3`,
      [afterName, pipeline, limit],
    )) as RuleRow[];
    return rows.map(ruleFromRow);
  }

  /** Enabled rules that select this event; read inside the transaction that records the deliveries. */
  static async matching(query: Query, tables: NotificationTables, pipeline: string, eventTypeId: string): Promise<NotificationRule[]> {
    const rows = (await query(
      `SELECT * FROM ${tables.rules} WHERE status = 'ENABLED' AND $1 = ANY(event_type_ids) AND (cardinality(pipelines) = 0 OR $2 = ANY(pipelines)) ORDER BY name`,
      [eventTypeId, pipeline],
    )) as RuleRow[];
    return rows.map(ruleFromRow);
  }
}

/** The rules read model: one function, used live and for a rebuild from the log. */
export async function project(query: Query, tables: NotificationTables, event: RuleEvent): Promise<void> {
  switch (event.type) {
    case 'NotificationRuleCreated':
    case 'NotificationRuleUpdated': {
      const r = event.data.rule;
      await query(
        `INSERT INTO ${tables.rules} (name, pipelines, event_type_ids, targets, status, detail_type, created, updated)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (name) DO UPDATE SET pipelines = excluded.pipelines, event_type_ids = excluded.event_type_ids,
           targets = excluded.targets, status = excluded.status, detail_type = excluded.detail_type,
           created = excluded.created, updated = excluded.updated`,
        [r.name, r.pipelines, r.eventTypeIds, JSON.stringify(r.targets), r.status, r.detailType, r.created, r.updated],
      );
      return;
    }
    case 'NotificationRuleDeleted':
      await query(`DELETE FROM ${tables.rules} WHERE name = $1`, [event.data.name]);
      return;
  }
}
