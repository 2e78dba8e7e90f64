import { Injectable, OnModuleInit } from '@nestjs/common';
import { ServiceInfrastructure } from '@pipewright/service-kit';

type Query = (sql: string, params?: unknown[]) => Promise<any[]>;

/** The refs a poll last saw for each polled source action, so the next poll knows what moved. */
@Injectable()
export class PollHeads implements OnModuleInit {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  private async table() {
    const store = await this.infrastructure.store();
    return { store, table: `"${store.schema}".poll_heads` };
  }

  async onModuleInit(): Promise<void> {
    const { store, table } = await this.table();
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         pipeline_name text NOT NULL, source_action text NOT NULL, repository text NOT NULL, ref text NOT NULL, commit text NOT NULL,
         PRIMARY KEY (pipeline_name, source_action, ref))`,
    );
  }

  /** The refs last seen in this repository; undefined when it was never polled (or the action now names another repository). */
  async load(pipeline: string, action: string, repository: string): Promise<Map<string, string> | undefined> {
    const { store, table } = await this.table();
    const rows = await store.query(`SELECT ref, commit, repository FROM ${table} WHERE pipeline_name = $1 AND source_action = $2`, [pipeline, action]);
    if (rows.length === 0 || rows.some((r: { repository: string }) => r.repository !== repository)) return undefined;
    return new Map(rows.filter((r: { ref: string }) => r.ref !== '').map((r: { ref: string; commit: string }) => [r.ref, r.commit]));
  }

  /** Replaces what was seen; the empty ref marks a repository polled while it had no refs yet. */
  async save(query: Query, pipeline: string, action: string, repository: string, refs: Map<string, string>): Promise<void> {
    const { table } = await this.table();
    await query(`DELETE FROM ${table} WHERE pipeline_name = $1 AND source_action = $2`, [pipeline, action]);
    const entries = [['', ''], ...refs];
    await query(
      `INSERT INTO ${table} (pipeline_name, source_action, repository, ref, commit) SELECT $1, $2, $3, r.ref, r.commit FROM unnest($4::text[], $5::text[]) AS r(ref, commit)`,
      [pipeline, action, repository, entries.map(([ref]) => ref), entries.map(([, commit]) => commit)],
    );
  }
}
