import { Injectable } from '@nestjs/common';
import { ServiceInfrastructure } from '@pipewright/service-kit';

export const RETENTION_REPOSITORY = Symbol('RetentionRepository');

/** The metadata queries a retention pass needs; the adapter below is the only code that knows their SQL. */
export interface RetentionRepository {
  /** Deletes the artifacts created before `cutoff`; resolves how many. */
  deleteCreatedBefore(cutoff: Date): Promise<number>;
  /**
   * Per pipeline, deletes the artifacts of every execution but the newest `keep`; resolves how many.
   * An execution's age is that of its first artifact, so its rank does not move while it uploads more.
   */
  deleteBeyondNewestExecutions(keep: number): Promise<number>;
  /** Every digest some artifact still refers to. */
  referencedDigests(): Promise<Set<string>>;
}

@Injectable()
export class PostgresRetentionRepository implements RetentionRepository {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  /** The artifacts table PostgresArtifactRepository creates on start. */
  private async store() {
    const store = await this.infrastructure.store();
    return { store, table: `"${store.schema}".artifacts` };
  }

  async deleteCreatedBefore(cutoff: Date): Promise<number> {
    const { store, table } = await this.store();
    // In a transaction: its query returns the RETURNING rows themselves.
    const rows = await store.transaction((tx) => tx.query(`DELETE FROM ${table} WHERE created < $1 RETURNING artifact_id`, [cutoff]));
    return rows.length;
  }

  async deleteBeyondNewestExecutions(keep: number): Promise<number> {
    const { store, table } = await this.store();
    const rows = await store.transaction((tx) =>
      tx.query(
        `WITH executions AS (
           SELECT pipeline_name, pipeline_execution_id,
                  row_number() OVER (PARTITION BY pipeline_name ORDER BY min(created) DESC, pipeline_execution_id DESC) AS newest
           FROM ${table} GROUP BY pipeline_name, pipeline_execution_id)
         DELETE FROM ${table} a USING executions e
         WHERE a.pipeline_name = e.pipeline_name AND a.pipeline_execution_id = e.pipeline_execution_id AND e.newest > $1
         RETURNING a.artifact_id`,
        [keep],
      ),
    );
    return rows.length;
  }

  async referencedDigests(): Promise<Set<string>> {
    const { store, table } = await this.store();
    const rows = (await store.query(`SELECT DISTINCT sha256 FROM ${table}`)) as { sha256: string }[];
    return new Set(rows.map((r) => r.sha256));
  }
}
