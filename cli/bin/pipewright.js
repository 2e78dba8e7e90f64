#!/usr/bin/env node
// The CLI is TypeScript run through swc, like the services; this file only starts it.
require('@pipewright/ts-register');
require('../src/main.ts');
