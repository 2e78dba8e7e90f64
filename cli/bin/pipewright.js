#!/usr/bin/env node
// The CLI is TypeScript run through swc, like the services; this file only starts it.
require('@swc-node/register');
require('../src/main.ts');
