#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// Node's compile cache keeps the code it compiles (and the types it strips) for the next
// command: see apps/platform/src/main.ts. The commands are imported only after the call.
enableCompileCache();
const { run } = await import('./cli.ts');

process.exitCode = await run(process.argv.slice(2));
