#!/usr/bin/env node
// Generates libs/contracts/src/gen from proto/ with buf (the npm-installed buf compiles the protos;
// no protoc) and the local ts-proto plugin, as buf.gen.yaml says. Cleans the output first so a
// removed .proto leaves no stale module; any failure exits non-zero with buf's message.
'use strict';
const { spawnSync } = require('node:child_process');
const { rmSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'libs', 'contracts', 'src', 'gen');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function fail(message) {
  console.error(`gen-proto: ${message}`);
  process.exit(1);
}

for (const tool of ['buf', 'protoc-gen-ts_proto']) {
  if (!existsSync(bin(tool))) fail(`${bin(tool)} is missing: run npm ci`);
}

rmSync(out, { recursive: true, force: true });
// The plugin is a node script: put the project's Node (node_modules/.bin/node) first on PATH.
const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
const result = spawnSync(bin('buf'), ['generate'], { cwd: root, env, stdio: 'inherit' });
if (result.error) fail(`could not run buf: ${result.error.message}`);
if (result.status !== 0) fail(`buf generate exited with ${result.status ?? result.signal}`);
if (!existsSync(join(out, 'pipewright'))) fail(`buf generate wrote nothing to ${out}`);
console.log(`gen-proto: generated ${out}`);
