/**
 * Records the history of a refund whose invoice a QuickBooks Payments card charge paid, run by the
 * real worker, the real ledger and the sandbox (the fakes of record-histories.ts never take the
 * card route): `npx tsx test/replay/record-card-refund.ts --label <label>` writes
 * test/replay/histories/refund_request.<label>.json. Run it after a deliberate change to the card
 * leg (src/workflows/card-refund.ts, money-path.ts) and commit the file: replay.test.ts replays
 * every history with the current code, so the file proves the change is patched for cases that
 * were under way. Sandbox seed data only; payloads unencrypted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { WORKFLOW_TYPE } from '../../src/domain/case';
import { DecisionAction } from '../../src/domain/decision';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { NAMESPACE, startServiceWorker, startTestServer, stopTestServer, temporalAddress, testClient } from '../support/temporal';
import { startTestLedgerServer, stopTestLedgerServer } from '../support/ledger';
import { startSandbox } from '../connectors/helpers';
import { APPROVER_1, APPROVER_2, caseInput, decide, decision, result, waitForState } from '../workflows/helpers';
import { HISTORIES_DIR } from './record-histories';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { label: { type: 'string' } } });
  if (!values.label) throw new Error('--label is required (the file is refund_request.<label>.json)');
  await startTestServer();
  await startTestLedgerServer();
  const sb = await startSandbox();
  // The default converter, no codec: the committed file replays anywhere (as record-histories.ts's).
  const plain = {};
  const client = await testClient(plain);
  const worker = await startServiceWorker(sb.clients, { identity: 'record-card-refund', dataConverter: plain });
  try {
    // Acme's INV-1002: the duplicate USD 450.00 was a QuickBooks Payments charge (EMU441923003).
    const input = caseInput('refund_request', {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1002',
      amount: { amountMinor: 45000, currency: 'USD' },
      refundReason: 'duplicate_charge',
    });
    const h = await client.workflow.start(WORKFLOW_TYPE.refund_request, {
      args: [input],
      taskQueue: worker.taskQueue,
      workflowId: `case-refund_request-card-${randomUUID()}`,
    });
    const s = await waitForState(h, (st) => st.pendingApproval?.slackMessage !== undefined, 60_000);
    const { requestId, required } = s.pendingApproval!;
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    if (required > 1) await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
    const done = await result(h);
    if (done.status !== 'completed') throw new Error(`the case ended ${done.status}: ${done.reason ?? ''}`);
    const cli = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
    const json = execFileSync(
      cli,
      ['workflow', 'show', '--address', temporalAddress(), '--namespace', NAMESPACE, '--workflow-id', h.workflowId, '--output', 'json'],
      { encoding: 'utf8' },
    );
    const file = path.join(HISTORIES_DIR, `refund_request.${values.label}.json`);
    fs.writeFileSync(file, json);
    console.log(`recorded ${file}: ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
  } finally {
    await worker.stop();
    await client.connection.close();
    await sb.close();
    await stopTestLedgerServer();
    await stopTestServer();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
