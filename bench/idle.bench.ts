/**
 * Idle cost benchmark (not a test): the five services booted and serving, with nothing to do, and
 * the CPU each uses meanwhile. What an idle platform costs its host; a busy-wait anywhere shows here.
 * Run: node -r @pipewright/ts-register bench/idle.bench.ts
 * Uses DATABASE_URL / KAFKA_BROKERS when set, else the local ones; free ports, consumer groups
 * starting at the topics' ends (no leftover work from other runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceAddress, serviceDefaults, serviceEnvName, ServiceName, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { freePort } from '@pipewright/testing';
import { cpuSeconds, machineBusySeconds } from './lib/cpu';
import { benchEnv } from './lib/infra';
import { printTable, writeResults, type BenchRow } from './lib/report';

const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 5_000);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 20_000);

const round2 = (value: number) => Math.round(value * 100) / 100;

async function main(): Promise<void> {
  const env = benchEnv();
  const work = mkdtempSync(join(tmpdir(), 'pipewright-bench-idle-'));
  const running: { name: ServiceName; proc: ServiceProcess }[] = [];
  try {
    for (const name of Object.keys(serviceDefaults) as ServiceName[]) {
      const ports = { [serviceEnvName(name, 'PORT')]: String(await freePort()), [serviceEnvName(name, 'HTTP_PORT')]: String(await freePort()) };
      const proc = startServiceProcess(name, {
        ...ports,
        DATABASE_URL: env.databaseUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        PIPEWRIGHT_CONSUMER_START_FROM: 'latest',
        PIPEWRIGHT_NOTIFICATION_START_FROM: 'latest',
        PIPEWRIGHT_ARTIFACT_ROOT: join(work, 'artifacts'),
        PIPEWRIGHT_JOB_LOG_ROOT: join(work, 'logs'),
        PIPEWRIGHT_WORKSPACE_ROOT: join(work, 'workspaces'),
      });
      running.push({ name, proc });
      await waitUntilServing(serviceAddress(name, ports), proc, 120_000);
    }
    // Start-up work (topic metadata, first fetches, JIT) settles first.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const load = loadavg()[0];
    const before = running.map(({ proc }) => cpuSeconds(proc.child.pid!));
    const machineBefore = machineBusySeconds();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const seconds = WINDOW_MS / 1000;
    const shares = running.map(({ proc }, i) => (cpuSeconds(proc.child.pid!) - before[i]) / seconds);
    const machineShare = (machineBusySeconds() - machineBefore) / seconds;
    const total = shares.reduce((a, b) => a + b, 0);
    const window = `${seconds} s idle after ${SETTLE_MS / 1000} s`;
    const rows: BenchRow[] = [
      ...running.map(({ name }, i) => ({ metric: `${name}, idle`, value: round2(shares[i] * 100), unit: '% of a core', note: window })),
      { metric: 'the five services, idle', value: round2(total * 100), unit: '% of a core', note: window },
      { metric: 'the machine meanwhile', value: round2(machineShare * 100), unit: '% of a core', note: `Kafka and PostgreSQL included; load average ${load.toFixed(2)} at the start` },
    ];
    printTable('idle platform', rows);
    const file = writeResults('idle', { settings: { settleMs: SETTLE_MS, windowMs: WINDOW_MS }, rows });
    process.stdout.write(`\nwritten to ${file}\n`);
  } finally {
    await Promise.all(running.map(({ proc }) => proc.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
