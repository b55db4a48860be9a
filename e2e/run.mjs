// Runs every end-to-end test file with Node's test runner, one file at a time because the
// machine has two cores and each file drives its own Chromium.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.test.mjs'))
  .filter((name) => process.argv.length <= 2 || process.argv.slice(2).some((part) => name.includes(part)))
  .map((name) => join(dir, name));
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
