import { randomBytes } from 'node:crypto';

/** A name no other test run uses: suites share one broker and one database. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export function testEnv(): { kafkaBrokers: string[]; databaseUrl: string } {
  const brokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.DATABASE_URL;
  if (!brokers || !databaseUrl) throw new Error('integration tests need the jest globalSetup (KAFKA_BROKERS/DATABASE_URL unset)');
  return { kafkaBrokers: brokers.split(','), databaseUrl };
}
