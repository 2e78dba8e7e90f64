import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the tests' Kafka and PostgreSQL are, resolved in one place:
 *   1. endpoints given in KAFKA_BROKERS / DATABASE_URL;
 *   2. otherwise Testcontainers, when a Docker engine answers and the package is installed;
 *   3. otherwise the local broker and database that scripts/infra.sh starts.
 */
export interface TestInfrastructure {
  kafkaBrokers: string[];
  databaseUrl: string;
  source: 'given' | 'testcontainers' | 'local-script';
}

/** The repository root (this file is libs/testing/src/infrastructure.ts). */
export const workspaceRoot = resolve(__dirname, '../../..');

export function dockerAnswers(): boolean {
  if (!existsSync('/var/run/docker.sock') && !process.env.DOCKER_HOST) return false;
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function testDatabaseUrl(url: string): string {
  // Tests never touch the platform's own database: they use <db>_test beside it.
  const u = new URL(url);
  if (!u.pathname.endsWith('_test')) u.pathname = `${u.pathname}_test`;
  return u.toString();
}

export async function resolveInfrastructure(): Promise<TestInfrastructure> {
  if (process.env.KAFKA_BROKERS && process.env.DATABASE_URL) {
    return { kafkaBrokers: process.env.KAFKA_BROKERS.split(','), databaseUrl: process.env.DATABASE_URL, source: 'given' };
  }
  if (dockerAnswers()) {
    const started = await startTestcontainers();
    if (started) return started;
  }
  const out = execFileSync('bash', [join(workspaceRoot, 'scripts/infra.sh'), 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env = parseEnvLines(out);
  return { kafkaBrokers: env.KAFKA_BROKERS.split(','), databaseUrl: testDatabaseUrl(env.DATABASE_URL), source: 'local-script' };
}

async function startTestcontainers(): Promise<TestInfrastructure | undefined> {
  // Optional dependency: present on machines with Docker, absent here (no engine to drive).
  let kafkaModule: any, pgModule: any;
  try {
    kafkaModule = require('@testcontainers/kafka');
    pgModule = require('@testcontainers/postgresql');
  } catch {
    return undefined;
  }
  const kafka = await new kafkaModule.KafkaContainer('confluentinc/cp-kafka:7.7.1').withKraft().start();
  const pg = await new pgModule.PostgreSqlContainer('postgres:15').withDatabase('pipewright_test').start();
  return {
    kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
    databaseUrl: pg.getConnectionUri(),
    source: 'testcontainers',
  };
}
