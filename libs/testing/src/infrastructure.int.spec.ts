import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { testEnv } from './unique';

describe('test infrastructure', () => {
  it('reaches the real PostgreSQL', async () => {
    const client = new Client({ connectionString: testEnv().databaseUrl });
    await client.connect();
    const { rows } = await client.query('select current_database() as db, version() as v');
    await client.end();
    expect(rows[0].db).toMatch(/_test$/);
    expect(rows[0].v).toMatch(/PostgreSQL/);
  });
  it('reaches the real Kafka broker', async () => {
    const admin = new Kafka({ brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
  });
});
