/**
 * Where the ledger lives: LEDGER_DATABASE_URL when set (production requires it: src/config/checks.ts),
 * otherwise a private PostgreSQL under DATA_DIR/ledger that this process starts (the embedded
 * default; never in production, so a missing database is an error there, not a silent default).
 */
import type { Config } from '../config/types';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { Ledger } from './store';

export interface LedgerHandle {
  ledger: Ledger;
  url: string;
  /** The private PostgreSQL this process started, if any. */
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

export async function openLedger(config: Config, log: (line: string) => void = () => undefined): Promise<LedgerHandle> {
  let embedded: EmbeddedPostgres | undefined;
  let url = config.ledger.url;
  if (!url) {
    if (config.env === 'production') throw new Error('LEDGER_DATABASE_URL is required in production');
    log(`starting the ledger's private PostgreSQL in ${config.ledger.dev.dir} on 127.0.0.1:${config.ledger.dev.port}`);
    embedded = startEmbeddedPostgres({ dir: config.ledger.dev.dir, port: config.ledger.dev.port, log });
    url = embedded.url;
  }
  const ledger = new Ledger({ url, schema: config.ledger.schema });
  await ledger.migrate();
  return {
    ledger,
    url,
    ...(embedded ? { embedded } : {}),
    async close() {
      await ledger.close();
      embedded?.stop();
    },
  };
}
