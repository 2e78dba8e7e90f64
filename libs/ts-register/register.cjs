'use strict';
// How every Pipewright process runs its TypeScript: `node -r @pipewright/ts-register file.ts`.
// Each .ts file is compiled by swc when it is required, with the .swcrc the tests use (@swc/jest), so
// a service runs the code its tests ran. It replaces @swc-node/register, which loaded the whole
// TypeScript compiler (~20 MB of heap in every process, walked by every full GC) to read tsconfig.json.
const { readFileSync } = require('node:fs');
const { setSourceMapsSupport } = require('node:module');
const { join, sep } = require('node:path');
const { transformSync } = require('@swc/core');

const { $schema: _schema, ...options } = JSON.parse(readFileSync(join(__dirname, '..', '..', '.swcrc'), 'utf8'));

// Stack traces point into the .ts sources. Node keeps each source map it reads: the maps that
// packages in node_modules ship are left unread (another ~20 MB), and so are the maps of the
// generated protobuf code (~7 MB; it is never edited, so its compiled lines are as good).
setSourceMapsSupport(true);
const generated = join('libs', 'contracts', 'src', 'gen') + sep;

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const sourceMaps = filename.includes(generated) ? false : 'inline';
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename, swcrc: false, configFile: false, sourceMaps });
  module._compile(code, filename);
};
