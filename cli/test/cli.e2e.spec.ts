import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceAddress, ServiceProcess, startServiceProcess, waitUntilServing, workspaceRoot } from '@pipewright/service-kit';
import { testEnv, uniqueName } from '@pipewright/testing';
import { stringify } from 'yaml';

const bin = join(workspaceRoot, 'node_modules/.bin/pipewright');
const dir = mkdtempSync(join(tmpdir(), 'pipewright-cli-'));

function cli(...args: string[]) {
  const result = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, PIPEWRIGHT_CONFIG: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function declaration(name: string, commands = 'make') {
  return {
    pipeline: {
      name,
      stages: [
        { name: 'Source', actions: [{ name: 'Checkout', actionTypeId: { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' }, configuration: { RepositoryUrl: '/tmp/repo' }, outputArtifacts: [{ name: 'Src' }] }] },
        { name: 'Build', actions: [{ name: 'Make', actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' }, configuration: { Commands: commands }, inputArtifacts: [{ name: 'Src' }] }] },
      ],
    },
  };
}

/** A failure is one line on stderr, never a stack trace. */
function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^pipewright: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('pipewright CLI against a real pipeline-definition process', () => {
  let proc: ServiceProcess;
  beforeAll(async () => {
    const env = testEnv();
    proc = startServiceProcess('pipeline-definition', { DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(',') });
    await waitUntilServing(serviceAddress('pipeline-definition'), proc);
  }, 90_000);
  afterAll(async () => {
    await proc?.stop();
  });

  it('creates from JSON, updates from YAML, gets, lists, lists versions and deletes', () => {
    const name = uniqueName('cli');
    const json = join(dir, `${name}.json`);
    writeFileSync(json, JSON.stringify(declaration(name)));
    const created = cli('pipeline', 'create', json, '--tag', 'team=web');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`${name}\\s+1\\s+2`));

    const yaml = join(dir, `${name}.yaml`);
    writeFileSync(yaml, stringify(declaration(name, 'make all')));
    expect(cli('pipeline', 'update', yaml, '--expected-version', '1').code).toBe(0);

    const got = cli('pipeline', 'get', name, '--output', 'json');
    expect(got.code).toBe(0);
    const body = JSON.parse(got.stdout);
    expect(body.pipeline.version).toBe(2);
    expect(body.pipeline.stages[1].actions[0].configuration.Commands).toBe('make all');
    expect(JSON.parse(cli('pipeline', 'get', name, '--version', '1', '-o', 'json').stdout).pipeline.stages[1].actions[0].configuration.Commands).toBe('make');

    expect(cli('pipeline', 'list').stdout).toMatch(new RegExp(`^${name}\\s+2\\s+V1\\s+SUPERSEDED`, 'm'));
    expect(cli('pipeline', 'versions', name, '-o', 'yaml').stdout).toMatch(/version: 2[\s\S]*version: 1/);
    expect(cli('pipeline', 'delete', name).code).toBe(0);
    const gone = cli('pipeline', 'get', name);
    expect(gone.code).toBe(3);
    expectOneLine(gone.stderr, /NOT_FOUND/);
  });

  it('a stale expected version is a conflict (exit 5)', () => {
    const name = uniqueName('cli');
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(declaration(name)));
    cli('pipeline', 'create', file);
    const stale = cli('pipeline', 'update', file, '--expected-version', '7');
    expect(stale.code).toBe(5);
    expectOneLine(stale.stderr, /ABORTED: .*version 1/);
  });

  describe('bad input: one clear line and a non-zero exit code', () => {
    it('missing file', () => {
      const r = cli('pipeline', 'create', join(dir, 'nope.json'));
      expect(r.code).toBe(2);
      expectOneLine(r.stderr, /file not found: .*nope\.json/);
    });
    it('invalid YAML', () => {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'pipeline:\n  name: x\n  stages: [\n   - {');
      const r = cli('pipeline', 'create', file);
      expect(r.code).toBe(4);
      expectOneLine(r.stderr, /INVALID_ARGUMENT: .*pipeline: the document is not valid YAML/);
    });
    it('an invalid declaration names every problem and its path', () => {
      const file = join(dir, 'invalid.json');
      writeFileSync(file, JSON.stringify({ pipeline: { name: 'bad name!', stages: [] } }));
      const r = cli('pipeline', 'create', file);
      expect(r.code).toBe(4);
      expectOneLine(r.stderr, /pipeline\.name: .*pipeline\.stages/);
    });
    it('unknown pipeline', () => {
      const r = cli('pipeline', 'get', uniqueName('missing'));
      expect(r.code).toBe(3);
      expectOneLine(r.stderr, /NOT_FOUND/);
    });
    it('services down', () => {
      const r = cli('pipeline', 'list', '--endpoint', 'pipeline-definition=127.0.0.1:1', '--deadline-ms', '3000');
      expect(r.code).toBe(6);
      expectOneLine(r.stderr, /UNAVAILABLE: cannot reach the service at 127\.0\.0\.1:1/);
    });
    it('unknown command and bad options', () => {
      expectOneLine(cli('frobnicate').stderr, /usage: unknown command frobnicate/);
      const r = cli('pipeline', 'list', '--colour');
      expect(r.code).toBe(2);
      expectOneLine(r.stderr, /usage: .*colour/);
    });
  });
});
