import { Injectable, OnModuleInit } from '@nestjs/common';
import { StreamVersionConflict, type EventStoreTransaction } from '@pipewright/event-store';
import { Identity, IdentityKind, RoleBinding, Role, StoredApiToken } from '@pipewright/security';
import { ServiceInfrastructure } from '@pipewright/service-kit';

export interface TeamRow {
  name: string;
  displayName: string;
  created: Date;
}

export interface NewAuditEvent {
  identity?: Identity;
  operation: string;
  team?: string;
  pipeline?: string;
  sourceAddress: string;
  outcome: 'ALLOWED' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  message: string;
  service: string;
}

export interface AuditEventRow extends NewAuditEvent {
  position: number;
  time: Date;
  /** OK or a gRPC status name, once the serving service reported it; '' until then. */
  result: string;
  resultMessage: string;
}

/** What became of a reported result: recorded, or why not. */
export type AuditResultRecording = 'recorded' | 'no-such-allowed-entry' | 'already-recorded';

export interface AuditFilter {
  subject?: string;
  operation?: string;
  team?: string;
  pipeline?: string;
  outcome?: string;
  result?: string;
  after?: Date;
  before?: Date;
  afterPosition: number;
  limit: number;
}

/** The audit log's stream in the event store; the table beside it is its filterable read model. */
export const auditStream = 'audit';

/**
 * Teams, role bindings, API token hashes, pipeline owners and the audit log, in pipeline-definition's
 * schema. The only code here that knows SQL.
 */
@Injectable()
export class IdentityRepository implements OnModuleInit {
  private tables?: Promise<void>;

  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  private async store() {
    return this.infrastructure.store();
  }

  /** Nest runs a module's init hooks concurrently: whoever writes first waits for the tables here. */
  ready(): Promise<void> {
    this.tables ??= this.createTables();
    return this.tables;
  }

  onModuleInit(): Promise<void> {
    return this.ready();
  }

  private async createTables(): Promise<void> {
    const store = await this.store();
    const s = `"${store.schema}"`;
    await store.query(`CREATE TABLE IF NOT EXISTS ${s}.teams (name text PRIMARY KEY, display_name text NOT NULL, created timestamptz NOT NULL)`);
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${s}.role_bindings (subject text NOT NULL, team text NOT NULL, pipeline text NOT NULL DEFAULT '', role text NOT NULL,
         PRIMARY KEY (subject, team, pipeline, role))`,
    );
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${s}.api_tokens (token_id text PRIMARY KEY, hash text NOT NULL UNIQUE, subject text NOT NULL, kind text NOT NULL,
         team text NOT NULL, description text NOT NULL, expires timestamptz NOT NULL, revoked boolean NOT NULL DEFAULT false, created timestamptz NOT NULL)`,
    );
    await store.query(`CREATE TABLE IF NOT EXISTS ${s}.pipeline_owners (pipeline text PRIMARY KEY, team text NOT NULL)`);
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${s}.audit_events (position bigint PRIMARY KEY, time timestamptz NOT NULL, subject text NOT NULL, kind text NOT NULL,
         operation text NOT NULL, team text NOT NULL, pipeline text NOT NULL, source_address text NOT NULL, outcome text NOT NULL, message text NOT NULL, service text NOT NULL)`,
    );
    // Added with operation results: a table made before gets the columns, its old entries no result.
    await store.query(`ALTER TABLE ${s}.audit_events ADD COLUMN IF NOT EXISTS result text NOT NULL DEFAULT '', ADD COLUMN IF NOT EXISTS result_message text NOT NULL DEFAULT ''`);
  }

  async createTeam(name: string, displayName: string, now: Date): Promise<TeamRow | undefined> {
    const store = await this.store();
    const rows = (await store.query(`INSERT INTO "${store.schema}".teams (name, display_name, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING name`, [
      name,
      displayName,
      now,
    ])) as unknown[];
    return rows.length ? { name, displayName, created: now } : undefined;
  }

  async teams(): Promise<TeamRow[]> {
    const store = await this.store();
    const rows = (await store.query(`SELECT name, display_name, created FROM "${store.schema}".teams ORDER BY name`)) as { name: string; display_name: string; created: Date }[];
    return rows.map((r) => ({ name: r.name, displayName: r.display_name, created: r.created }));
  }

  async teamExists(name: string): Promise<boolean> {
    const store = await this.store();
    return ((await store.query(`SELECT 1 FROM "${store.schema}".teams WHERE name = $1`, [name])) as unknown[]).length > 0;
  }

  async putBinding(b: RoleBinding): Promise<void> {
    const store = await this.store();
    await store.query(`INSERT INTO "${store.schema}".role_bindings (subject, team, pipeline, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      b.subject,
      b.team,
      b.pipeline ?? '',
      b.role,
    ]);
  }

  async deleteBinding(b: RoleBinding): Promise<void> {
    const store = await this.store();
    await store.query(`DELETE FROM "${store.schema}".role_bindings WHERE subject = $1 AND team = $2 AND pipeline = $3 AND role = $4`, [b.subject, b.team, b.pipeline ?? '', b.role]);
  }

  async bindings(filter: { subject?: string; team?: string }): Promise<RoleBinding[]> {
    const store = await this.store();
    const rows = (await store.query(
      `SELECT subject, team, pipeline, role FROM "${store.schema}".role_bindings
        WHERE ($1::text IS NULL OR subject = $1) AND ($2::text IS NULL OR team = $2) ORDER BY team, pipeline, subject, role`,
      [filter.subject ?? null, filter.team ?? null],
    )) as { subject: string; team: string; pipeline: string; role: Role }[];
    return rows.map((r) => ({ subject: r.subject, team: r.team, pipeline: r.pipeline || undefined, role: r.role }));
  }

  async saveApiToken(t: { tokenId: string; hash: string; identity: Identity; team: string; description: string; expires: Date; now: Date }): Promise<void> {
    const store = await this.store();
    await store.query(
      `INSERT INTO "${store.schema}".api_tokens (token_id, hash, subject, kind, team, description, expires, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (token_id) DO UPDATE SET hash = excluded.hash, subject = excluded.subject, kind = excluded.kind, team = excluded.team, expires = excluded.expires, revoked = false`,
      [t.tokenId, t.hash, t.identity.subject, t.identity.kind, t.team, t.description, t.expires, t.now],
    );
  }

  async apiToken(hash: string): Promise<StoredApiToken | undefined> {
    const store = await this.store();
    const [row] = (await store.query(`SELECT token_id, subject, kind, expires, revoked FROM "${store.schema}".api_tokens WHERE hash = $1`, [hash])) as {
      token_id: string;
      subject: string;
      kind: IdentityKind;
      expires: Date;
      revoked: boolean;
    }[];
    return row ? { tokenId: row.token_id, identity: { kind: row.kind, subject: row.subject }, expires: new Date(row.expires), revoked: row.revoked } : undefined;
  }

  /** True when a token of that id was issued in the team (and is now revoked). */
  async revokeApiToken(tokenId: string, team: string): Promise<boolean> {
    const store = await this.store();
    const rows = (await store.query(`UPDATE "${store.schema}".api_tokens SET revoked = true WHERE token_id = $1 AND team = $2 RETURNING token_id`, [tokenId, team])) as unknown[];
    return rows.length > 0;
  }

  async setOwner(pipeline: string, team: string): Promise<void> {
    const store = await this.store();
    await store.query(`INSERT INTO "${store.schema}".pipeline_owners (pipeline, team) VALUES ($1, $2) ON CONFLICT (pipeline) DO UPDATE SET team = excluded.team`, [pipeline, team]);
  }

  async ownerOf(pipeline: string): Promise<string | undefined> {
    const store = await this.store();
    const [row] = (await store.query(`SELECT team FROM "${store.schema}".pipeline_owners WHERE pipeline = $1`, [pipeline])) as { team: string }[];
    return row?.team;
  }

  async owners(pipelines: readonly string[]): Promise<Map<string, string>> {
    const store = await this.store();
    const rows = (await store.query(`SELECT pipeline, team FROM "${store.schema}".pipeline_owners WHERE pipeline = ANY($1::text[])`, [pipelines])) as { pipeline: string; team: string }[];
    return new Map(rows.map((r) => [r.pipeline, r.team]));
  }

  /** Appends to the audit stream and its read model in one transaction. Resolves the entry's position. */
  async appendAudit(event: NewAuditEvent, now: Date): Promise<number> {
    return this.auditTransaction(async (tx, schema) => {
      const { lastPosition } = await tx.append(auditStream, 'any', [{ type: 'AuditRecorded', data: { ...event, time: now.toISOString() } }]);
      await tx.query(
        `INSERT INTO "${schema}".audit_events (position, time, subject, kind, operation, team, pipeline, source_address, outcome, message, service)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [lastPosition, now, event.identity?.subject ?? '', event.identity?.kind ?? '', event.operation, event.team ?? '', event.pipeline ?? '', event.sourceAddress, event.outcome, event.message, event.service],
      );
      return Number(lastPosition);
    });
  }

  /**
   * An allowed entry's operation result: an `AuditResultRecorded` event on the audit stream and the
   * read model's row, in one transaction. The first report of an entry counts; the row lock orders
   * concurrent ones.
   */
  async recordAuditResult(position: number, result: string, message: string, now: Date): Promise<AuditResultRecording> {
    return this.auditTransaction(async (tx, schema) => {
      const [row] = (await tx.query(`SELECT result FROM "${schema}".audit_events WHERE position = $1 AND outcome = 'ALLOWED' FOR UPDATE`, [position])) as { result: string }[];
      if (!row) return 'no-such-allowed-entry';
      if (row.result) return 'already-recorded';
      await tx.append(auditStream, 'any', [{ type: 'AuditResultRecorded', data: { position, result, message, time: now.toISOString() } }]);
      await tx.query(`UPDATE "${schema}".audit_events SET result = $2, result_message = $3 WHERE position = $1`, [position, result, message]);
      return 'recorded';
    });
  }

  /** One write to the audit stream and its read model; appends racing for the stream's end are redone. */
  private async auditTransaction<T>(work: (tx: EventStoreTransaction, schema: string) => Promise<T>): Promise<T> {
    const store = await this.store();
    for (let attempt = 0; ; attempt++) {
      try {
        return await store.transaction((tx) => work(tx, store.schema));
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= 20) throw error;
      }
    }
  }

  async auditEvents(f: AuditFilter): Promise<AuditEventRow[]> {
    const store = await this.store();
    const operation = f.operation ? (f.operation.includes('/') ? f.operation.replace(/^\/?(?:[a-z0-9]+\.)*/, '') : `%/${f.operation}`) : null;
    const rows = (await store.query(
      `SELECT * FROM "${store.schema}".audit_events
        WHERE position > $1 AND ($2::text IS NULL OR subject = $2) AND ($3::text IS NULL OR operation LIKE $3) AND ($4::text IS NULL OR team = $4)
          AND ($5::text IS NULL OR pipeline = $5) AND ($6::text IS NULL OR outcome = $6) AND ($7::timestamptz IS NULL OR time >= $7) AND ($8::timestamptz IS NULL OR time < $8)
          AND ($10::text IS NULL OR result = $10)
        ORDER BY position LIMIT $9`,
      [f.afterPosition, f.subject ?? null, operation, f.team ?? null, f.pipeline ?? null, f.outcome ?? null, f.after ?? null, f.before ?? null, f.limit, f.result ?? null],
    )) as Record<string, any>[];
    return rows.map((r) => ({
      position: Number(r.position),
      time: new Date(r.time),
      identity: r.subject ? { subject: r.subject, kind: r.kind } : undefined,
      operation: r.operation,
      team: r.team || undefined,
      pipeline: r.pipeline || undefined,
      sourceAddress: r.source_address,
      outcome: r.outcome,
      message: r.message,
      service: r.service,
      result: r.result,
      resultMessage: r.result_message,
    }));
  }
}
