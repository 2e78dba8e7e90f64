/**
 * `npm run bench`: every benchmark under bench/, one after another (they share the machine, so
 * never at once). Each prints its table and writes bench/results/<name>.json.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv[2];
const benches = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only || f.startsWith(only))
  .sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench}`);
  const result = spawnSync(process.execPath, ['-r', '@pipewright/ts-register', join(__dirname, bench)], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`${bench} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed ? 1 : 0);
