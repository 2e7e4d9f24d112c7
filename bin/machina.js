#!/usr/bin/env node
// Entry point of the `machina` command: loads the TypeScript sources through tsx, so the CLI runs
// straight from a clone with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
