/**
 * Lists the cases waiting for a decision, oldest wait first:
 *
 *   npm run cases:waiting                      # every case waiting on anyone
 *   npm run cases:waiting -- --approver U0FIN0001   # cases waiting on one approver ("on me")
 *   npm run cases:waiting -- --json
 *
 * Connects like the service does (TEMPORAL_ADDRESS or the local dev server, with the payload codec).
 */
import { loadConfig, ConfigError } from '../src/config/load';
import { connectClient } from '../src/api';
import { formatWaitingCases, listWaitingCases } from '../src/cases/waiting';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a, i) => !['--approver', '--json'].includes(a) && args[i - 1] !== '--approver');
  const ai = args.indexOf('--approver');
  const approver = ai === -1 ? undefined : args[ai + 1];
  if (unknown.length > 0 || (ai !== -1 && (!approver || approver.startsWith('--')))) {
    console.error('usage: npm run cases:waiting -- [--approver <Slack user id>] [--json]');
    process.exit(2);
  }
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    const cases = await listWaitingCases(client, { approver });
    console.log(args.includes('--json') ? JSON.stringify(cases, null, 2) : formatWaitingCases(cases));
  } finally {
    await client.connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `cases:waiting failed: ${(err as Error).message}`);
  process.exit(1);
});
