/**
 * A private PostgreSQL for the money ledger when no LEDGER_DATABASE_URL is configured: the
 * embedded default (`npm start`) and the test run. Debian's postgresql-15 binaries (apt-installed by
 * the cluster tooling when missing), one data directory, loopback only, trust authentication for
 * the one local user. Production points LEDGER_DATABASE_URL at its own PostgreSQL instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensurePostgres } from '../devtools/cluster-tools';

export interface EmbeddedPostgres {
  url: string;
  stop(): void;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const PG_USER = 'ledger';

function runuserPath(): string {
  return ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => fs.existsSync(p)) ?? 'runuser';
}

// PostgreSQL refuses to run as root: as root, its commands run as the `postgres` system user.
function run(cmd: string, args: string[], what: string): string {
  const [c, a] = isRoot() ? [runuserPath(), ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const res = spawnSync(c, a, { encoding: 'utf8' });
  if (res.status !== 0)
    throw new Error(`${what} failed (exit ${res.status ?? res.signal}): ${(res.stderr || res.stdout || String(res.error ?? '')).trim()}`);
  return res.stdout;
}

/**
 * Starts (initialising on first use) a PostgreSQL in `dir` on 127.0.0.1:`port`. Idempotent: a
 * server already running on that directory is reused. `stop()` stops it (fast shutdown).
 */
export function startEmbeddedPostgres(opts: { dir: string; port: number; log?: (line: string) => void }): EmbeddedPostgres {
  const bin = ensurePostgres(opts.log);
  const dir = path.resolve(opts.dir);
  const pgData = path.join(dir, 'pgdata');
  const socketDir = path.join(dir, 'socket');
  const pgLog = path.join(dir, 'postgres.log');
  fs.mkdirSync(socketDir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  if (isRoot()) {
    // The postgres user must reach the directory: every parent needs o+x.
    for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0)
        throw new Error(`the ledger database directory ${dir} is inside ${d}, which the postgres user cannot enter (chmod o+x it)`);
    }
    spawnSync('chown', ['postgres:postgres', socketDir]);
  }
  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
    fs.mkdirSync(pgData, { recursive: true, mode: 0o700 });
    if (isRoot()) spawnSync('chown', ['postgres:postgres', pgData]);
    run(path.join(bin, 'initdb'), ['-D', pgData, '-U', PG_USER, '-A', 'trust', '-E', 'UTF8', '--no-locale'], 'initdb (ledger)');
  }
  if (!fs.existsSync(pgLog)) {
    fs.writeFileSync(pgLog, '');
    if (isRoot()) spawnSync('chown', ['postgres:postgres', pgLog]);
  }
  const pgCtl = path.join(bin, 'pg_ctl');
  const [sc, sa] = isRoot() ? [runuserPath(), ['-u', 'postgres', '--', pgCtl, '-D', pgData, 'status']] : [pgCtl, ['-D', pgData, 'status']];
  if (spawnSync(sc, sa).status !== 0) {
    const options = `-p ${opts.port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=on`;
    run(pgCtl, ['-D', pgData, '-l', pgLog, '-o', options, '-w', '-t', '60', 'start'], 'pg_ctl start (ledger)');
  }
  return {
    url: `postgres://${PG_USER}@127.0.0.1:${opts.port}/postgres`,
    stop() {
      try {
        run(pgCtl, ['-D', pgData, '-m', 'fast', '-w', '-t', '30', 'stop'], 'pg_ctl stop (ledger)');
      } catch {
        // Already stopped.
      }
    },
  };
}
