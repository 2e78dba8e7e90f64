import { Injectable, OnModuleInit } from '@nestjs/common';
import { ServiceInfrastructure } from '@pipewright/service-kit';

export interface SecretRow {
  team: string;
  name: string;
  version: number;
  created: Date;
  updated: Date;
}

export interface SealedSecretRow extends SecretRow {
  sealed: Buffer;
}

type Row = { team: string; name: string; version: string; created: Date; updated: Date };
// bigint comes back as a string.
const rowOf = (r: Row): SecretRow => ({ team: r.team, name: r.name, version: Number(r.version), created: r.created, updated: r.updated });

/** Sealed secret values (AES-256-GCM, never plaintext) in pipeline-definition's schema. The only code here that knows SQL. */
@Injectable()
export class SecretsRepository implements OnModuleInit {
  private tables?: Promise<void>;

  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  ready(): Promise<void> {
    this.tables ??= this.createTables();
    return this.tables;
  }

  onModuleInit(): Promise<void> {
    return this.ready();
  }

  private async createTables(): Promise<void> {
    const store = await this.infrastructure.store();
    await store.query(
      `CREATE TABLE IF NOT EXISTS "${store.schema}".secrets (team text NOT NULL, name text NOT NULL, version bigint NOT NULL, sealed bytea NOT NULL,
         created timestamptz NOT NULL, updated timestamptz NOT NULL, PRIMARY KEY (team, name))`,
    );
  }

  /**
   * Writes the next version of a secret: `seal` gets the version the value is bound to, inside the
   * transaction that holds the row, so concurrent puts cannot seal for the same version.
   */
  async put(team: string, name: string, now: Date, seal: (version: number) => Buffer): Promise<SecretRow> {
    await this.ready();
    const store = await this.infrastructure.store();
    const s = `"${store.schema}"`;
    return store.transaction(async (tx) => {
      // Serializes puts of one name, including the first (no row to lock yet).
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`secret:${team}/${name}`]);
      const [current] = (await tx.query(`SELECT version, created FROM ${s}.secrets WHERE team = $1 AND name = $2`, [team, name])) as { version: string; created: Date }[];
      const version = current ? Number(current.version) + 1 : 1;
      const created = current?.created ?? now;
      await tx.query(
        `INSERT INTO ${s}.secrets (team, name, version, sealed, created, updated) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (team, name) DO UPDATE SET version = excluded.version, sealed = excluded.sealed, updated = excluded.updated`,
        [team, name, version, seal(version), created, now],
      );
      return { team, name, version, created, updated: now };
    });
  }

  async delete(team: string, name: string): Promise<boolean> {
    const store = await this.infrastructure.store();
    // As a SELECT: the driver answers a bare DELETE … RETURNING with [rows, count].
    const rows = (await store.query(`WITH deleted AS (DELETE FROM "${store.schema}".secrets WHERE team = $1 AND name = $2 RETURNING name) SELECT name FROM deleted`, [team, name])) as unknown[];
    return rows.length > 0;
  }

  async list(team: string): Promise<SecretRow[]> {
    const store = await this.infrastructure.store();
    const rows = (await store.query(`SELECT team, name, version, created, updated FROM "${store.schema}".secrets WHERE team = $1 ORDER BY name`, [team])) as Row[];
    return rows.map(rowOf);
  }

  async sealed(team: string, names: readonly string[]): Promise<SealedSecretRow[]> {
    const store = await this.infrastructure.store();
    const rows = (await store.query(`SELECT team, name, version, sealed, created, updated FROM "${store.schema}".secrets WHERE team = $1 AND name = ANY($2::text[])`, [team, names])) as (Row & { sealed: Buffer })[];
    return rows.map((r) => ({ ...rowOf(r), sealed: r.sealed }));
  }
}
