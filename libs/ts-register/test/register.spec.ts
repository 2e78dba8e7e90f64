import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';

describe('@pipewright/ts-register', () => {
  let run: SpawnSyncReturns<string>;
  beforeAll(() => {
    run = spawnSync(process.execPath, ['-r', '@pipewright/ts-register', join(__dirname, 'fixture.ts')], { encoding: 'utf8' });
  });

  it('compiles with the decorator metadata NestJS injects by', () => {
    expect(JSON.parse(run.stdout)).toEqual({ paramTypes: ['Clock'], field: true });
  });

  it('reports errors at their line in the .ts source', () => {
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Error: thrown on line 15');
    expect(run.stderr).toMatch(new RegExp(`at .*${join(__dirname, 'fixture.ts').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:15:7`));
  });
});
