/**
 * `npm run setup` (also run before `npm test`): installs what a fresh machine lacks.
 *   - (before this runs) Node 24: scripts/with-node.cjs, through which the npm scripts start
 *   - the Temporal CLI (found, or built from its Go module into .tools/bin)
 *   - Debian's Chromium for the browser tests (apt-get, when running as root and it is missing)
 * Idempotent and quick when everything is present.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { ensureTemporalCli } from '../src/devtools/temporal-cli';
import { loadConfig } from '../src/config/load';

export const CHROMIUM_PATH = '/usr/bin/chromium';

function ensureChromium(): void {
  if (fs.existsSync(CHROMIUM_PATH)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    console.error(`Chromium not found at ${CHROMIUM_PATH}; the browser tests need it. Install it with: sudo apt-get install -y chromium`);
    process.exitCode = 1;
    return;
  }
  console.error('setup: installing Debian chromium for the browser tests (apt-get)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env })
      : update;
  if (install.status !== 0 || !fs.existsSync(CHROMIUM_PATH)) {
    console.error('setup: installing chromium failed (see above).');
    process.exitCode = 1;
  }
}

const config = loadConfig();
console.error(`setup: temporal CLI at ${ensureTemporalCli({ cliPath: config.temporal.dev.cliPath, pathVar: config.pathVar })}`);
if (!process.argv.includes('--no-browser')) ensureChromium();
