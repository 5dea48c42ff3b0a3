/**
 * Records one history per case type into test/replay/histories (run after a deliberate workflow
 * change, then commit the files): `npx tsx test/replay/record-histories.ts [--label <label>] [--unstamped]`.
 * `--label` writes `<caseType>.<label>.json` instead of `<caseType>.json`; `--unstamped` starts the
 * cases without the code-release stamp (`CaseInput.release`), as cases from before it started: their
 * histories carry a patch marker for every patch they met (src/workflows/patches.ts).
 * Payloads are left unencrypted (default data converter) so the committed files replay anywhere;
 * the inputs are sandbox seed data, not customer data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CASE_TYPES } from '../../src/domain/case';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { NAMESPACE, startTestServer, stopTestServer, temporalAddress } from '../support/temporal';
import { caseEnv } from '../workflows/helpers';
import { SCENARIOS } from './scenarios';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { label: { type: 'string' }, unstamped: { type: 'boolean' } } });
  await startTestServer();
  const cli = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
  const env = await caseEnv({}, {});
  if (values.unstamped) {
    const start = env.start.bind(env);
    env.start = (input, opts) => start({ ...input, release: undefined }, opts);
  }
  try {
    fs.mkdirSync(HISTORIES_DIR, { recursive: true });
    for (const caseType of CASE_TYPES) {
      const handle = await SCENARIOS[caseType](env);
      // The CLI writes the canonical proto-JSON that `historyFromJSON` (and `temporal workflow show`) read.
      const json = execFileSync(
        cli,
        [
          'workflow',
          'show',
          '--address',
          temporalAddress(),
          '--namespace',
          NAMESPACE,
          '--workflow-id',
          handle.workflowId,
          '--output',
          'json',
        ],
        { encoding: 'utf8' },
      );
      fs.writeFileSync(path.join(HISTORIES_DIR, `${caseType}${values.label ? `.${values.label}` : ''}.json`), json);
      console.log(`recorded ${caseType}: ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
    }
  } finally {
    await env.stop();
    await stopTestServer();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
