/** Each owning service has its own schema; the name is interpolated into SQL, so it must be a plain identifier. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`event store schema must be a lower-case SQL identifier (a-z, 0-9, _), got ${JSON.stringify(schema)}`);
  }
  return schema;
}

/** The fully qualified, quoted tables of one schema. */
export function tables(schema: string) {
  const s = `"${checkSchemaName(schema)}"`;
  return {
    schema: s,
    events: `${s}.events`,
    outbox: `${s}.outbox`,
    outboxCheckpoint: `${s}.outbox_checkpoint`,
    inbox: `${s}.inbox`,
    projectionCheckpoints: `${s}.projection_checkpoints`,
    /** LISTEN/NOTIFY channel the outbox trigger signals on commit. */
    outboxChannel: `${schema}_outbox`,
  };
}

export type Tables = ReturnType<typeof tables>;

/** 64-bit advisory-lock key of a name, computed by PostgreSQL so every process agrees. */
export const lockKey = (paramIndex: number) => `hashtextextended($${paramIndex}::text, 0)`;
