import { resolveInfrastructure } from './infrastructure';

/** Jest globalSetup for integration and e2e suites: resolve the infrastructure once, share it by env. */
export default async function globalSetup(): Promise<void> {
  const infra = await resolveInfrastructure();
  process.env.KAFKA_BROKERS = infra.kafkaBrokers.join(',');
  process.env.DATABASE_URL = infra.databaseUrl;
  process.env.PIPEWRIGHT_TEST_INFRA = infra.source;
}
