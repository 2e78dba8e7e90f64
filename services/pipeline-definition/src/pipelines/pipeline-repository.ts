import { Injectable, OnModuleInit } from '@nestjs/common';
import { ExpectedVersion, NewOutboxMessage, RecordedEvent } from '@pipewright/event-store';
import { evolvePipeline, initialPipelineState, PipelineEvent, PipelineState } from '@pipewright/pipeline-model';
import { ServiceInfrastructure } from '@pipewright/service-kit';

export const PIPELINE_REPOSITORY = Symbol('PipelineRepository');

export interface LoadedPipeline {
  state: PipelineState;
  streamVersion: number;
}

export interface PipelineSummaryRow {
  name: string;
  version: number;
  pipelineType: string;
  executionMode: string;
  created: Date;
  updated: Date;
}

/** The port the handler speaks to; the adapter below is the only code that knows SQL. */
export interface PipelineRepository {
  load(name: string): Promise<LoadedPipeline>;
  /** Appends the events, enqueues what they publish and updates the list read model, atomically. */
  save(name: string, expected: ExpectedVersion, events: PipelineEvent[], publish: NewOutboxMessage[]): Promise<void>;
  list(afterName: string, limit: number): Promise<PipelineSummaryRow[]>;
}

export const pipelineStream = (name: string) => `pipeline-${name}`;

@Injectable()
export class PostgresPipelineRepository implements PipelineRepository, OnModuleInit {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  private table(schema: string) {
    return `"${schema}".pipelines`;
  }

  async onModuleInit(): Promise<void> {
    const store = await this.infrastructure.store();
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${this.table(store.schema)} (
         name text PRIMARY KEY, version integer NOT NULL, pipeline_type text NOT NULL, execution_mode text NOT NULL,
         created timestamptz NOT NULL, updated timestamptz NOT NULL)`,
    );
  }

  async load(name: string): Promise<LoadedPipeline> {
    const store = await this.infrastructure.store();
    const events = (await store.readStream(pipelineStream(name))) as RecordedEvent<PipelineEvent['type']>[];
    const state = events.reduce((s, e) => evolvePipeline(s, { type: e.type, data: e.data } as PipelineEvent), initialPipelineState());
    return { state, streamVersion: events.length ? events[events.length - 1].streamVersion : 0 };
  }

  async save(name: string, expected: ExpectedVersion, events: PipelineEvent[], publish: NewOutboxMessage[]): Promise<void> {
    const store = await this.infrastructure.store();
    await store.transaction(async (tx) => {
      await tx.append(pipelineStream(name), expected, events);
      await tx.enqueueOutbox(publish);
      for (const event of events) await this.project(tx.query, store.schema, event);
    });
  }

  /** The list read model; rebuilt by replaying the log through the same function. */
  private async project(query: (sql: string, params?: unknown[]) => Promise<unknown[]>, schema: string, event: PipelineEvent): Promise<void> {
    switch (event.type) {
      case 'PipelineCreated':
      case 'PipelineUpdated': {
        const d = event.data.declaration;
        await query(
          `INSERT INTO ${this.table(schema)} AS p (name, version, pipeline_type, execution_mode, created, updated)
           VALUES ($1, $2, $3, $4, $5, $5)
           ON CONFLICT (name) DO UPDATE SET version = excluded.version, pipeline_type = excluded.pipeline_type,
             execution_mode = excluded.execution_mode, updated = excluded.updated,
             created = CASE WHEN excluded.version = 1 THEN excluded.created ELSE p.created END`,
          [event.data.name, event.data.version, d.pipelineType ?? 'V1', d.executionMode ?? 'SUPERSEDED', event.data.at],
        );
        return;
      }
      case 'PipelineDeleted':
        await query(`DELETE FROM ${this.table(schema)} WHERE name = $1`, [event.data.name]);
        return;
      case 'PipelineTagged':
      case 'PipelineUntagged':
        return;
    }
  }

  async list(afterName: string, limit: number): Promise<PipelineSummaryRow[]> {
    const store = await this.infrastructure.store();
    const rows = (await store.query(
      `SELECT name, version, pipeline_type, execution_mode, created, updated FROM ${this.table(store.schema)} WHERE name > $1 ORDER BY name LIMIT $2`,
      [afterName, limit],
    )) as { name: string; version: number; pipeline_type: string; execution_mode: string; created: Date; updated: Date }[];
    return rows.map((r) => ({ name: r.name, version: r.version, pipelineType: r.pipeline_type, executionMode: r.execution_mode, created: r.created, updated: r.updated }));
  }
}
