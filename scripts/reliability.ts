/**
 * `npm run test:reliability:full`: the reliability tests (test/reliability) at the sizes issue 7
 * names, where CI runs reduced ones. Starts its own Temporal dev server through the usual mocha
 * fixture; the restart test starts another on a SQLite file. Prints the figures each test reached.
 *
 *   npm run test:reliability:full                 # everything at full size (about 15-25 min on 2 cores)
 *   npm run test:reliability:full -- storm fuzz   # only some tests (file names under test/reliability)
 *
 * Sizes can be overridden one by one through the same variables (e.g. RELIABILITY_STORM_CALLS=50).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const FULL: Record<string, string> = {
  // §1: 100 calls, each delivered 10 times concurrently.
  RELIABILITY_STORM_CALLS: '100',
  RELIABILITY_STORM_DELIVERIES: '10',
  // §2, §3, §4: more cases in flight when the worker dies, waiting through the restart, under faults.
  RELIABILITY_CRASH_CALLS: '40',
  RELIABILITY_RESTART_CALLS: '20',
  RELIABILITY_FAULT_CALLS: '30',
  // §4 at the issue's rates: 30 % 5xx, plus 429s and dropped write responses.
  RELIABILITY_FAULT_ERROR_RATE: '0.3',
  RELIABILITY_FAULT_RATE_LIMIT_RATE: '0.1',
  RELIABILITY_FAULT_DROP_RATE: '0.1',
  // Backoff tails at these rates are long (RELIABILITY.md): give the cases half an hour.
  RELIABILITY_FAULT_WAIT_SECONDS: '1800',
  // §5: well over the 1 000 inputs CI sends.
  RELIABILITY_FUZZ_DIALNEXA: '5000',
  RELIABILITY_FUZZ_SLACK: '5000',
  // The ledger's model-based test: many more random interleavings than CI's 30.
  LEDGER_MODEL_RUNS: '500',
  LEDGER_MODEL_STEPS: '80',
};

const root = path.resolve(__dirname, '..');
const only = process.argv.slice(2);
const files = only.length ? only.map((n) => `test/reliability/${n.replace(/\.test\.ts$/, '')}.test.ts`) : ['test/reliability/*.test.ts'];
const env = { ...process.env };
for (const [k, v] of Object.entries(FULL)) env[k] ??= v;

console.log(
  `Reliability at full size: ${Object.entries(FULL)
    .map(([k, v]) => `${k}=${env[k] ?? v}`)
    .join(' ')}`,
);
const run = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--config', 'test/reliability/mocharc.json', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(run.status ?? 1);
