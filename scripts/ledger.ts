/**
 * The money ledger for people (docs/workflows.md, "Reconciliation"):
 *
 *   npm run ledger -- holds [--json]                          # open reconciliation holds
 *   npm run ledger -- clear <id> --by <name> --note <text>    # clear one, recording who and why
 *   npm run ledger -- entries [--pending] [--json]            # the ledger's entries (this realm)
 *
 * Reads the configuration like the service (LEDGER_DATABASE_URL, LEDGER_SCHEMA, QBO_REALM_ID...).
 * Without LEDGER_DATABASE_URL it uses the private PostgreSQL of `npm start` under DATA_DIR/ledger
 * (started for the command, and stopped after, when `npm start` is not running).
 */
import { Client as PgClient } from 'pg';
import { loadConfig, ConfigError } from '../src/config/load';
import type { Config } from '../src/config/types';
import { startEmbeddedPostgres } from '../src/ledger/embedded-postgres';
import { Ledger } from '../src/ledger/store';
import type { LedgerEntry, LedgerHold } from '../src/ledger/entries';

const USAGE = `usage:
  npm run ledger -- holds [--json]
  npm run ledger -- clear <hold id> --by <name> --note <what was checked or done>
  npm run ledger -- entries [--pending] [--json]`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/** The value after `--flag`, or undefined; a flag without a value is a usage error. */
function option(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) fail(`${flag} needs a value\n${USAGE}`);
  return v;
}

async function reachable(url: string): Promise<boolean> {
  const c = new PgClient({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function openForCli(config: Config): Promise<{ ledger: Ledger; close(): Promise<void> }> {
  if (config.ledger.url) {
    const ledger = new Ledger({ url: config.ledger.url, schema: config.ledger.schema, maxConnections: 2 });
    return { ledger, close: () => ledger.close() };
  }
  if (config.env === 'production') fail('LEDGER_DATABASE_URL is required in production', 1);
  const url = `postgres://ledger@127.0.0.1:${config.ledger.dev.port}/postgres`;
  const own = (await reachable(url)) ? undefined : startEmbeddedPostgres({ dir: config.ledger.dev.dir, port: config.ledger.dev.port });
  const ledger = new Ledger({ url: own?.url ?? url, schema: config.ledger.schema, maxConnections: 2 });
  return {
    ledger,
    async close() {
      await ledger.close();
      own?.stop();
    },
  };
}

const money = (minor: number, currency: string) => `${currency} ${minor}`;

function holdLine(h: LedgerHold): string {
  return `#${h.id}  customer ${h.customerId}  ${h.createdAt}  ${h.finding}\n      ${h.detail}`;
}

function entryLine(e: LedgerEntry): string {
  const what = `${e.kind} ${money(e.amountMinor, e.currency)} (minor units)${e.state === 'settled' ? `, settled ${e.settledMinor}` : ''}`;
  const record = e.recordId ? `  ${e.recordEntity} ${e.recordId}` : '';
  const token = e.payTokenId ? `  pay token ${e.payTokenId}` : e.route === 'skyfire' ? `  token ${e.tokenStage}` : '';
  return `${e.ref}  ${e.state.padEnd(8)}  ${e.route.padEnd(10)}  customer ${e.customerId}  invoice ${e.invoiceDoc ?? '-'}  ${what}${record}${token}\n      case ${e.caseId}  ${e.updatedAt}  ${e.evidence ?? ''}`;
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command || !['holds', 'clear', 'entries'].includes(command)) fail(USAGE);
  const json = args.includes('--json');
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    fail(err instanceof ConfigError ? err.message : String(err), 1);
  }
  const realm = config.connectors.quickbooks.realmId;
  const db = await openForCli(config);
  try {
    const { ledger } = db;
    if (command === 'holds') {
      const holds = await ledger.holds(realm);
      if (json) console.log(JSON.stringify(holds, null, 2));
      else console.log(holds.length === 0 ? 'No open holds.' : `${holds.length} open hold(s):\n${holds.map(holdLine).join('\n')}`);
    } else if (command === 'clear') {
      const id = Number(args[0]);
      const by = option(args, '--by');
      const note = option(args, '--note');
      if (!Number.isInteger(id) || id <= 0 || !by?.trim() || !note?.trim()) fail(`clear needs a hold id, --by and --note\n${USAGE}`);
      const open = (await ledger.holds(realm)).find((h) => h.id === id);
      if (!open || !(await ledger.clearHold(id, by.trim(), note.trim()))) fail(`no open hold #${id} in realm ${realm}`, 1);
      console.log(`Cleared hold #${id} on customer ${open.customerId} (${open.finding}) by ${by.trim()}: ${note.trim()}`);
      const left = (await ledger.holds(realm)).filter((h) => h.customerId === open.customerId);
      console.log(
        left.length === 0
          ? `Automated money for customer ${open.customerId} runs again.`
          : `Customer ${open.customerId} still has ${left.length} open hold(s): ${left.map((h) => `#${h.id}`).join(', ')}`,
      );
    } else {
      const entries = args.includes('--pending') ? await ledger.pending(realm) : await ledger.entries(realm);
      if (json) console.log(JSON.stringify(entries, null, 2));
      else console.log(entries.length === 0 ? 'No entries.' : entries.map(entryLine).join('\n'));
    }
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(`ledger failed: ${(err as Error).message}`);
  process.exit(1);
});
