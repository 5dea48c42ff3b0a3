/**
 * The test run's money ledger: one private PostgreSQL for the whole run (started by the global
 * fixture, like the Temporal dev server), and a fresh schema for every worker or service a test
 * builds, so each test's sandbox (whose QuickBooks ids repeat: INV-4001 is invoice 4001 in every
 * sandbox) starts with an empty ledger. Set TEST_LEDGER_URL to use a PostgreSQL that is already
 * running instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/ledger/embedded-postgres';
import { Client as PgClient } from 'pg';
import { Ledger } from '../../src/ledger/store';
import { freePort } from '../../src/devtools/dev-server';

let pg: EmbeddedPostgres | undefined;
let dir: string | undefined;
const open: Ledger[] = [];

export async function startTestLedgerServer(): Promise<void> {
  if (process.env.TEST_LEDGER_URL) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-pg-'));
  fs.chmodSync(dir, 0o755);
  pg = startEmbeddedPostgres({ dir, port: await freePort() });
  process.env.TEST_LEDGER_URL = pg.url;
}

export async function stopTestLedgerServer(): Promise<void> {
  await Promise.all(open.splice(0).map((l) => l.close().catch(() => undefined)));
  pg?.stop();
  pg = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

export function testLedgerUrl(): string {
  const url = process.env.TEST_LEDGER_URL;
  if (!url) throw new Error('test ledger not started (is test/support/global-fixture.ts required by mocha?)');
  return url;
}

/** A fresh, empty ledger schema name. */
export function newLedgerSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** A ledger on a fresh schema of the run's PostgreSQL (closed at the end of the run). */
export function newTestLedger(schema = newLedgerSchema()): Ledger {
  const l = new Ledger({ url: testLedgerUrl(), schema, maxConnections: 4 });
  open.push(l);
  return l;
}

/**
 * Empties a test ledger, for suites that reset their sandbox between tests: the ledger and the
 * sandbox's QuickBooks start again together, as one world.
 */
export async function truncateTestLedger(ledger: Ledger): Promise<void> {
  await ledger.migrate();
  const c = new PgClient({ connectionString: testLedgerUrl() });
  await c.connect();
  try {
    const s = ledger.schema;
    await c.query(`TRUNCATE ${s}.ledger_entries, ${s}.ledger_events, ${s}.ledger_holds, ${s}.ledger_customers`);
  } finally {
    await c.end();
  }
}
