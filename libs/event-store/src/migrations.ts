import type { MigrationInterface, QueryRunner } from 'typeorm';
import { tables } from './schema';

/**
 * This library's migrations for one owning service's schema. TypeORM wants classes whose names end
 * in a timestamp; they are made per schema because the SQL names the schema. Every statement is
 * idempotent too, so a schema created by hand or half-migrated still converges.
 */
export function eventStoreMigrations(schema: string): Array<new () => MigrationInterface> {
  const t = tables(schema);

  class EventStoreLog1732233600000 implements MigrationInterface {
    readonly name = 'EventStoreLog1732233600000';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE IF NOT EXISTS ${t.events} (
        position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version bigint NOT NULL CHECK (stream_version > 0),
        event_id uuid NOT NULL UNIQUE,
        type text NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}',
        recorded_at timestamptz NOT NULL DEFAULT now(),
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        UNIQUE (stream_id, stream_version)
      )`);
      await q.query(`CREATE INDEX IF NOT EXISTS events_global_order ON ${t.events} (transaction_id, position)`);
      // The log is append-only: UPDATE, DELETE and TRUNCATE fail for everyone, owner included
      // (REVOKE would not bind the owner).
      await q.query(`CREATE OR REPLACE FUNCTION ${t.schema}.events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the event log is append-only: % on %.events is not allowed', TG_OP, TG_TABLE_SCHEMA
          USING ERRCODE = 'insufficient_privilege'; END $$`);
      await q.query(`DROP TRIGGER IF EXISTS events_no_update_delete ON ${t.events}`);
      await q.query(`CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON ${t.events}
        FOR EACH ROW EXECUTE FUNCTION ${t.schema}.events_append_only()`);
      await q.query(`DROP TRIGGER IF EXISTS events_no_truncate ON ${t.events}`);
      await q.query(`CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON ${t.events}
        FOR EACH STATEMENT EXECUTE FUNCTION ${t.schema}.events_append_only()`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE IF EXISTS ${t.events}`);
      await q.query(`DROP FUNCTION IF EXISTS ${t.schema}.events_append_only()`);
    }
  }

  class EventStoreOutbox1732233600001 implements MigrationInterface {
    readonly name = 'EventStoreOutbox1732233600001';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE IF NOT EXISTS ${t.outbox} (
        position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        topic text NOT NULL,
        key text,
        value bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        enqueued_at timestamptz NOT NULL DEFAULT now(),
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id()
      )`);
      await q.query(`CREATE INDEX IF NOT EXISTS outbox_order ON ${t.outbox} (transaction_id, position)`);
      await q.query(`CREATE TABLE IF NOT EXISTS ${t.outboxCheckpoint} (
        relay text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
      // One notification per writing statement, delivered at commit: the relay wakes at once.
      await q.query(`CREATE OR REPLACE FUNCTION ${t.schema}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('${t.outboxChannel}', ''); RETURN NULL; END $$`);
      await q.query(`DROP TRIGGER IF EXISTS outbox_enqueued ON ${t.outbox}`);
      await q.query(`CREATE TRIGGER outbox_enqueued AFTER INSERT ON ${t.outbox}
        FOR EACH STATEMENT EXECUTE FUNCTION ${t.schema}.outbox_notify()`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE IF EXISTS ${t.outboxCheckpoint}`);
      await q.query(`DROP TABLE IF EXISTS ${t.outbox}`);
      await q.query(`DROP FUNCTION IF EXISTS ${t.schema}.outbox_notify()`);
    }
  }

  class EventStoreInboxProjections1732233600002 implements MigrationInterface {
    readonly name = 'EventStoreInboxProjections1732233600002';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE IF NOT EXISTS ${t.inbox} (
        consumer text NOT NULL,
        message_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
      await q.query(`CREATE TABLE IF NOT EXISTS ${t.projectionCheckpoints} (
        name text PRIMARY KEY,
        transaction_id xid8 NOT NULL,
        position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE IF EXISTS ${t.projectionCheckpoints}`);
      await q.query(`DROP TABLE IF EXISTS ${t.inbox}`);
    }
  }

  class EventStoreAppendFunction1732233600003 implements MigrationInterface {
    readonly name = 'EventStoreAppendFunction1732233600003';
    async up(q: QueryRunner): Promise<void> {
      // The whole append in one round trip (an append's cost is mostly its commit and round trips).
      // Appends to one stream take turns on an advisory lock; in READ COMMITTED each statement of a
      // volatile function takes a fresh snapshot, so the version check after the lock sees the
      // previous append committed, and a conflict is reported without aborting the transaction.
      // in_order is false when this transaction got its id before the one that wrote the stream's
      // last event: in the (transaction, position) order readers use, its events would come first.
      await q.query(`CREATE OR REPLACE FUNCTION ${t.schema}.append_events(
          p_stream text, p_expected bigint, p_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[],
          OUT actual bigint, OUT in_order boolean, OUT next_version bigint, OUT last_position bigint)
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtextextended('${t.events}:' || p_stream, 0));
          WITH last AS (
            SELECT e.stream_version, e.transaction_id FROM ${t.events} e WHERE e.stream_id = p_stream ORDER BY e.stream_version DESC LIMIT 1
          ), cur AS (
            SELECT coalesce((SELECT l.stream_version FROM last l), 0) AS v,
                   coalesce((SELECT l.transaction_id <= pg_current_xact_id() FROM last l), true) AS ordered
          ), ins AS (
            INSERT INTO ${t.events} (stream_id, stream_version, event_id, type, data, metadata)
            SELECT p_stream, cur.v + n.ord, n.id, n.type, n.data, n.metadata
              FROM cur, unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS n(id, type, data, metadata, ord)
             WHERE (p_expected IS NULL OR cur.v = p_expected) AND cur.ordered
             ORDER BY n.ord
            RETURNING stream_version AS sv, position AS pos
          )
          SELECT cur.v, cur.ordered, (SELECT max(i.sv) FROM ins i), (SELECT max(i.pos) FROM ins i)
            INTO actual, in_order, next_version, last_position
            FROM cur;
        END $$`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP FUNCTION IF EXISTS ${t.schema}.append_events(text, bigint, uuid[], text[], jsonb[], jsonb[])`);
    }
  }

  return [EventStoreLog1732233600000, EventStoreOutbox1732233600001, EventStoreInboxProjections1732233600002, EventStoreAppendFunction1732233600003];
}
