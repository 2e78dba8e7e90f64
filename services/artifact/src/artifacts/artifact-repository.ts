import { Injectable, OnModuleInit } from '@nestjs/common';
import { ServiceInfrastructure } from '@pipewright/service-kit';

export const ARTIFACT_REPOSITORY = Symbol('ArtifactRepository');

/** One stored artifact's metadata; its bytes live in the blob store under `sha256`. */
export interface ArtifactRecord {
  artifactId: string;
  pipelineExecutionId: string;
  pipelineName: string;
  actionName: string;
  name: string;
  sha256: string;
  sizeBytes: number;
  contentType: string;
  created: Date;
}

/** Where a page of an execution's artifacts starts: after this (created, artifactId). */
export interface ArtifactCursor {
  created: Date;
  artifactId: string;
}

/** The port the handler speaks to; the adapter below is the only code that knows SQL. */
export interface ArtifactRepository {
  insert(record: ArtifactRecord): Promise<void>;
  find(artifactId: string): Promise<ArtifactRecord | undefined>;
  /** Oldest first; with `pipelineName`, only that pipeline's (an uploader names both, so one execution id could carry two). */
  listByExecution(pipelineExecutionId: string, pipelineName: string | undefined, after: ArtifactCursor | undefined, limit: number): Promise<ArtifactRecord[]>;
  /** The pipeline of an execution's first artifact: whose the execution is, for authorization. */
  pipelineOfExecution(pipelineExecutionId: string): Promise<string | undefined>;
  /** Resolves false when there was no such artifact. */
  delete(artifactId: string): Promise<boolean>;
}

interface ArtifactRow {
  artifact_id: string;
  pipeline_execution_id: string;
  pipeline_name: string;
  action_name: string;
  name: string;
  sha256: string;
  size_bytes: string;
  content_type: string;
  created: Date;
}

const COLUMNS = 'artifact_id, pipeline_execution_id, pipeline_name, action_name, name, sha256, size_bytes, content_type, created';

const fromRow = (r: ArtifactRow): ArtifactRecord => ({
  artifactId: r.artifact_id,
  pipelineExecutionId: r.pipeline_execution_id,
  pipelineName: r.pipeline_name,
  actionName: r.action_name,
  name: r.name,
  sha256: r.sha256,
  sizeBytes: Number(r.size_bytes),
  contentType: r.content_type,
  created: r.created,
});

@Injectable()
export class PostgresArtifactRepository implements ArtifactRepository, OnModuleInit {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  private async store() {
    const store = await this.infrastructure.store();
    return { store, table: `"${store.schema}".artifacts` };
  }

  async onModuleInit(): Promise<void> {
    const { store, table } = await this.store();
    // Several replicas may start at once; IF NOT EXISTS alone races on the catalog, the lock does not.
    await store.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [table]);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${table} (
           artifact_id uuid PRIMARY KEY, pipeline_execution_id text NOT NULL, pipeline_name text NOT NULL,
           action_name text NOT NULL, name text NOT NULL, sha256 text NOT NULL, size_bytes bigint NOT NULL,
           content_type text NOT NULL, created timestamptz NOT NULL)`,
      );
      await tx.query(`CREATE INDEX IF NOT EXISTS artifacts_by_execution ON ${table} (pipeline_execution_id, created, artifact_id)`);
      // Blob garbage collection asks which digests are still referenced.
      await tx.query(`CREATE INDEX IF NOT EXISTS artifacts_by_sha256 ON ${table} (sha256)`);
    });
  }

  async insert(r: ArtifactRecord): Promise<void> {
    const { store, table } = await this.store();
    await store.query(`INSERT INTO ${table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      r.artifactId,
      r.pipelineExecutionId,
      r.pipelineName,
      r.actionName,
      r.name,
      r.sha256,
      r.sizeBytes,
      r.contentType,
      r.created,
    ]);
  }

  async find(artifactId: string): Promise<ArtifactRecord | undefined> {
    const { store, table } = await this.store();
    const rows = (await store.query(`SELECT ${COLUMNS} FROM ${table} WHERE artifact_id = $1`, [artifactId])) as ArtifactRow[];
    return rows[0] && fromRow(rows[0]);
  }

  async listByExecution(pipelineExecutionId: string, pipelineName: string | undefined, after: ArtifactCursor | undefined, limit: number): Promise<ArtifactRecord[]> {
    const { store, table } = await this.store();
    const rows = (await store.query(
      `SELECT ${COLUMNS} FROM ${table}
       WHERE pipeline_execution_id = $1 AND ($2::timestamptz IS NULL OR (created, artifact_id) > ($2::timestamptz, $3::uuid))
         AND ($5::text IS NULL OR pipeline_name = $5)
       ORDER BY created, artifact_id LIMIT $4`,
      [pipelineExecutionId, after?.created ?? null, after?.artifactId ?? null, limit, pipelineName ?? null],
    )) as ArtifactRow[];
    return rows.map(fromRow);
  }

  async pipelineOfExecution(pipelineExecutionId: string): Promise<string | undefined> {
    const { store, table } = await this.store();
    const rows = (await store.query(`SELECT pipeline_name FROM ${table} WHERE pipeline_execution_id = $1 ORDER BY created, artifact_id LIMIT 1`, [pipelineExecutionId])) as {
      pipeline_name: string;
    }[];
    return rows[0]?.pipeline_name;
  }

  async delete(artifactId: string): Promise<boolean> {
    const { store, table } = await this.store();
    // In a transaction: its query returns the RETURNING rows themselves.
    const rows = await store.transaction((tx) => tx.query(`DELETE FROM ${table} WHERE artifact_id = $1 RETURNING artifact_id`, [artifactId]));
    return rows.length > 0;
  }
}
