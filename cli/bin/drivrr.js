#!/usr/bin/env node
// The `drivrr` command's entry point as npm links it. It exists before the first build, so that
// `npm install` links node_modules/.bin/drivrr on a fresh clone (npm skips bins whose file is missing,
// and `prepare: tsc -b` only writes cli/dist after linking).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('error: the drivrr CLI is not built yet: run "npm run build" (or "npm install") in the repository root\n');
  process.exit(1);
}
await import(built.href);
