/**
 * Mocha global fixture: one real Temporal dev server for the whole run, started from the CLI binary
 * on free ports (in memory, headless) and stopped at the end. Set TEMPORAL_TEST_ADDRESS to reuse a
 * server that is already running instead.
 */
import { stopTestServer, startTestServer } from './temporal';
import { startTestLedgerServer, stopTestLedgerServer } from './ledger';

export async function mochaGlobalSetup(): Promise<void> {
  await Promise.all([startTestServer(), startTestLedgerServer()]);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await Promise.all([stopTestServer(), stopTestLedgerServer()]);
}
