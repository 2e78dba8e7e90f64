import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The boundaries are lint's job, not review's: these snippets, linted as if they were files in the
 * repository, must be refused. (The test command runs `nx show projects` before jest, so the
 * project graph the rule reads is current.)
 */
const root = join(__dirname, '..');

/** ESLint's own command (its config is an ES module, which jest's sandbox cannot load), fed on stdin. */
async function problems(file: string, code: string): Promise<string[]> {
  const run = spawnSync(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', '--stdin', '--stdin-filename', join(root, file)], {
    cwd: root,
    input: code,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('a domain library may not import a framework or a driver', async () => {
    expect(await problems('libs/execution-domain/src/zz-probe.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n")).toEqual([
      expect.stringMatching(/kind:domain.*not allowed to import "@nestjs\/common"/),
    ]);
    expect(await problems('libs/pipeline-model/src/zz-probe.ts', "import { Pool } from 'pg';\nexport const x = Pool;\n")).toEqual([expect.stringMatching(/not allowed to import "pg"/)]);
  });

  it('a domain library may not import a non-domain library', async () => {
    expect(await problems('libs/execution-domain/src/zz-probe.ts', "import { openEventStore } from '@pipewright/event-store';\nexport const x = openEventStore;\n")).toEqual([
      expect.stringMatching(/kind:domain.*can only depend on libs tagged with "kind:domain"/),
    ]);
  });

  it('a library may not import a service', async () => {
    expect(await problems('libs/artifact-store/src/zz-probe.ts', "import { PipelineDefinitionModule } from '@pipewright/pipeline-definition';\nexport const x = PipelineDefinitionModule;\n")).toContainEqual(
      expect.stringMatching(/type:lib.*can only depend on libs tagged with "type:lib"/),
    );
  });

  it('allows what the layering allows', async () => {
    expect(await problems('services/orchestrator/src/zz-probe.ts', "import { executionDecider } from '@pipewright/execution-domain';\nexport const x = executionDecider;\n")).toEqual([]);
    expect(await problems('libs/execution-domain/src/zz-probe.ts', "import { fold } from '@pipewright/decider';\nexport const x = fold;\n")).toEqual([]);
  });
});
