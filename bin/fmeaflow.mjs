#!/usr/bin/env node
// The `fmeaflow` command: the TypeScript CLI under tsx's loader, so no build step stands between a clone and a run.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../streams/cli.ts');
await main();
