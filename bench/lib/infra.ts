import { Kafka, logLevel } from 'kafkajs';

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
