import { MALLOC_TUNING, serviceProcessEnv } from '@pipewright/service-kit';
import { Kafka, logLevel } from 'kafkajs';
import { spawnSync } from 'node:child_process';

/** The benchmark's infrastructure: the given endpoints, else the local ones scripts/infra.sh starts. */
export function benchEnv(): { databaseUrl: string; kafkaBrokers: string[] } {
  return {
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/pipewright_test',
    kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  };
}

export function benchKafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: benchEnv().kafkaBrokers, logLevel: logLevel.NOTHING });
}

export function benchName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Makes the benchmark's own process allocate as Pipewright's processes do (MALLOC_TUNING): its
 * client stands for a job worker uploading. glibc reads the settings at start, so a process
 * without them runs the benchmark again as a child with them and exits with the child's code.
 */
export function withMallocTuning(): void {
  if (Object.keys(MALLOC_TUNING).every((name) => process.env[name] !== undefined)) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: serviceProcessEnv() });
  process.exit(child.status ?? 1);
}
