/**
 * Issue 21, Reconciliation: the scheduled comparison of the money ledger with QuickBooks and
 * Skyfire, against the real dev server, the real activities and the sandbox driven the way the
 * vendors' clients drive it. A refund recorded by hand in QuickBooks is a finding (hold, finance
 * alert, metric) that sends the customer's next automated refund to a person until someone clears
 * it with `npm run ledger -- clear`; pending entries whose cases were terminated are settled or
 * released on QuickBooks' records and Skyfire's token charges; the Temporal Schedule is made sure of.
 */
import assert from 'node:assert/strict';
import { seedPaidInvoice } from '../../bench/lib/calls';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import type { ReconcileReport } from '../../src/activities/reconcile';
import type { LedgerEntry } from '../../src/ledger/entries';
import { ensureReconcileSchedule, RECONCILE_WORKFLOW_TYPE } from '../../src/temporal/reconcile-schedule';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { testLedgerUrl, truncateTestLedger } from '../support/ledger';
import { runtimeMetricsUrl, startServiceWorker, testClient } from '../support/temporal';
import { APPROVER_1, attested, caseInput, decide, decision, result, skyfireRefund, waitForRequest } from './helpers';
import { DecisionAction } from '../../src/domain/decision';

const ROOT = path.join(__dirname, '..', '..');
const run = promisify(execFile);

describe('ledger reconciliation against QuickBooks and Skyfire (real server, sandbox)', function () {
  this.timeout(180_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  let realm: string;
  before(async () => {
    sb = await startSandbox({ SKYFIRE_PAY_TOKEN_TTL: '10s', SKYFIRE_CHARGE_GRACE: '2s', SKYFIRE_CHARGE_POLL_INTERVAL: '1s' });
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'reconcile' });
    realm = sb.clients.quickbooks.realmId;
  });
  beforeEach(async () => {
    await sb.reset();
    await truncateTestLedger(worker.ledger);
    await sb.control('/skyfire/settings', { chargeGraceSeconds: 2 });
  });
  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  // Cases as the intake starts them: their facts attested for their workflow id (automation needs it).
  const start = (input: CaseInput): Promise<WorkflowHandle> => {
    const workflowId = `case-${input.caseType}-${randomUUID()}`;
    return client.workflow.start(WORKFLOW_TYPE[input.caseType], {
      args: [attested(input, workflowId)],
      taskQueue: worker.taskQueue,
      workflowId,
    });
  };
  const reconcile = () =>
    client.workflow.execute(RECONCILE_WORKFLOW_TYPE, {
      args: [],
      taskQueue: worker.taskQueue,
      workflowId: `ledger-reconciliation-test-${randomUUID()}`,
    }) as Promise<ReconcileReport>;
  /**
   * A USD invoice of ACME-001 (pays through QuickBooks) paid twice: the evidence an automated
   * duplicate-charge refund needs. The first payment is a QuickBooks Payments charge, so the refund
   * goes back to the card and completes unattended (paid another way it waits for "Money returned").
   */
  const paidInvoice = async (docNumber: string, totalMinor: number) => {
    await seedPaidInvoice(sb.url, { docNumber, accountId: 'ACME-001', totalMinor, duplicatePayment: true });
  };
  const automatableRefund = (invoiceNumber: string, amountMinor: number) =>
    caseInput('refund_request', {
      accountId: 'ACME-001',
      invoiceNumber,
      amount: { amountMinor, currency: 'USD' },
      refundReason: 'duplicate_charge',
    });
  const metricValue = async (name: string, label: string): Promise<number> => {
    const text = await (await fetch(runtimeMetricsUrl())).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^(\w+)\{([^}]*)\}\s+([0-9.eE+-]+)$/.exec(line);
      if (m && (m[1] === name || m[1] === `${name}_total`) && m[2].includes(label) && m[2].includes(`taskQueue="${worker.taskQueue}"`))
        sum += Number(m[3]);
    }
    return sum;
  };
  const financeAlerts = async () =>
    (await sb.records('slack', (r) => r.method === 'POST' && r.path.endsWith('/chat.postMessage'))).filter((r) =>
      JSON.stringify(r.body).includes('Ledger reconciliation'),
    );
  const ledgerCli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'ledger.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, LEDGER_DATABASE_URL: testLedgerUrl(), LEDGER_SCHEMA: worker.ledger.schema, LOG_LEVEL: 'silent' },
    });
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const entryOf = (h: WorkflowHandle, ok: (e: LedgerEntry) => boolean) =>
    waitFor(`the ledger entry of ${h.workflowId}`, async () =>
      (await worker.ledger.entries(realm)).find((e) => e.caseId === h.workflowId && ok(e)),
    );

  it('a refund recorded by hand in QuickBooks: finding, hold, finance alert, metric; the next automated refund goes to a person until the hold is cleared', async () => {
    const qbo = sb.clients.quickbooks;
    const findingsBefore = await metricValue('billing_ledger_findings', 'kind="unattributed_record"');
    // A bookkeeper refunds USD 25.00 to Acme (customer 101) in QuickBooks, outside the money path.
    const byHand = await qbo.create<{ Id: string; DocNumber: string }>(
      'RefundReceipt',
      {
        CustomerRef: { value: '101' },
        DepositToAccountRef: { value: qbo.refundDepositAccountId },
        Line: [
          {
            Amount: 25,
            DetailType: 'SalesItemLineDetail',
            SalesItemLineDetail: { ItemRef: { value: qbo.refundItemId } },
            Description: 'Goodwill',
          },
        ],
      },
      `by-hand-${randomUUID()}`.slice(0, 50),
    );

    const first = await reconcile();
    assert.deepEqual(
      first.findings.map((f) => [f.kind, f.customerId, f.finding]),
      [['unattributed_record', '101', `unattributed_record:RefundReceipt:${byHand.Id}`]],
    );
    assert.match(
      first.findings[0].detail,
      new RegExp(`QuickBooks RefundReceipt ${byHand.Id} \\(DocNumber ${byHand.DocNumber}, USD 25\\.00\\)`),
    );
    const holds = await worker.ledger.holds(realm);
    assert.equal(holds.length, 1);
    assert.equal(holds[0].customerId, '101');
    // The finance alert: what was found, with the record, in the finance channel; no names or contact data.
    const alerts = await financeAlerts();
    assert.equal(alerts.length, 1);
    const alert = JSON.stringify(alerts[0].body);
    assert.match(alert, /C0FINANCE/);
    assert.match(alert, new RegExp(`RefundReceipt ${byHand.Id}`));
    assert.match(alert, new RegExp(`npm run ledger -- clear ${holds[0].id}`));
    assert.doesNotMatch(alert, /Acme|billing@acme/);
    assert.equal((await metricValue('billing_ledger_findings', 'kind="unattributed_record"')) - findingsBefore, 1);
    assert.equal(await metricValue('billing_ledger_open_holds', `realm="${realm}"`), 1);

    // Raised once: the next run finds it known and says nothing new.
    const second = await reconcile();
    assert.deepEqual(second.findings, []);
    assert.equal(second.openHolds, 1);
    assert.equal((await financeAlerts()).length, 1, 'no second alert');

    // An automated refund for that customer (inside the limit, automatable reason, paid invoice) goes to a person.
    await paidInvoice('INV-REC-1', 4000);
    const held = await start(automatableRefund('INV-REC-1', 4000));
    await waitForRequest(held);
    const approval = JSON.stringify(await sb.records('slack', (r) => JSON.stringify(r.body ?? '').includes(held.workflowId)));
    assert.match(approval, /The ledger reconciliation found something on this customer that a person has not cleared yet/);
    assert.match(approval, new RegExp(`reconciliation hold on this customer: QuickBooks RefundReceipt ${byHand.Id}`));
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 1, 'nothing refunded unattended');
    await held.terminate('test: the approval path was shown');

    // A person looks, then clears the hold with who and why.
    const listed = await ledgerCli('holds');
    assert.match(listed.stdout, new RegExp(`#${holds[0].id}\\s+customer 101 .*unattributed_record:RefundReceipt:${byHand.Id}`));
    await assert.rejects(ledgerCli('clear', String(holds[0].id), '--by', 'Dana'), /needs a hold id, --by and --note/);
    const cleared = await ledgerCli('clear', String(holds[0].id), '--by', 'Dana (finance)', '--note', 'goodwill refund approved by phone');
    assert.match(cleared.stdout, /Cleared hold #\d+ on customer 101 .* by Dana \(finance\): goodwill refund approved by phone/);
    assert.match(cleared.stdout, /Automated money for customer 101 runs again/);
    assert.deepEqual(await worker.ledger.holds(realm), []);
    const pg = new PgClient({ connectionString: testLedgerUrl() });
    await pg.connect();
    try {
      const row = (
        await pg.query(`SELECT cleared_by, clear_note, cleared_at FROM ${worker.ledger.schema}.ledger_holds WHERE id = $1`, [holds[0].id])
      ).rows[0];
      assert.equal(row.cleared_by, 'Dana (finance)');
      assert.equal(row.clear_note, 'goodwill refund approved by phone');
      assert.ok(row.cleared_at);
    } finally {
      await pg.end();
    }

    // Automation runs again for the customer; the next reconciliation attributes its record and does not raise the cleared finding again.
    await paidInvoice('INV-REC-2', 4000);
    const auto = await result(await start(automatableRefund('INV-REC-2', 4000)));
    assert.equal(auto.status, 'completed', auto.reason);
    const third = await reconcile();
    assert.deepEqual(third.findings, []);
    assert.equal(third.openHolds, 0);
    assert.equal(third.records, 2);
    assert.equal(await metricValue('billing_ledger_open_holds', `realm="${realm}"`), 0);
    const entries = await ledgerCli('entries');
    // Paid by a QuickBooks Payments charge: refunded to the card, then recorded.
    assert.match(entries.stdout, /settled\s+qb_payments\s+customer 101\s+invoice INV-REC-2/);
  });

  it('a Skyfire refund whose case was terminated while it waited: settled on the token charge the seller made afterwards (and, with no record, a finding)', async () => {
    await sb.control('/skyfire/seller', { mode: 'charge', delayMs: 4000 });
    const h = await start(skyfireRefund());
    const e = await entryOf(h, (x) => !!x.payTokenId);
    await h.terminate('test: an operator ends the case mid-wait');
    const charged = await waitFor('the seller charge', async () => {
      const c = await sb.clients.skyfire.getTokenCharges(e.payTokenId!);
      return c.charged !== '0' && Number(c.charged) > 0 ? c : undefined;
    });
    assert.equal(Number(charged.charged), 30);
    assert.equal((await worker.ledger.get(e.key))!.state, 'pending', 'nobody settled it: the case is gone');

    const report = await reconcile();
    const after = (await worker.ledger.get(e.key))!;
    assert.equal(after.state, 'settled');
    assert.equal(after.settledMinor, 3000);
    assert.match(after.evidence ?? '', new RegExp(`^Skyfire shows 30\\.0+ USD charged on pay token ${e.payTokenId}`));
    assert.deepEqual(report.settled, [{ ref: e.ref, evidence: after.evidence }]);
    // Money left the wallet and QuickBooks has no record of it, and no case will write one: a person records it.
    assert.deepEqual(
      report.findings.map((f) => [f.kind, f.customerId]),
      [['unrecorded_charge', '104']],
    );
    assert.match(report.findings[0].detail, new RegExp(`record the RefundReceipt by hand with DocNumber ${e.ref}`));
  });

  it('a Skyfire refund whose case was terminated and whose token nobody charged: released once the charge window closed', async () => {
    await sb.control('/skyfire/seller', { mode: 'ignore' });
    const h = await start(skyfireRefund());
    const e = await entryOf(h, (x) => !!x.payTokenId);
    await h.terminate('test: an operator ends the case mid-wait');
    // Before the window closes the entry stays pending: the seller may still charge.
    const early = await reconcile();
    assert.deepEqual(early.released, []);
    assert.equal((await worker.ledger.get(e.key))!.state, 'pending');
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(e.chargeDeadline!) - Date.now()) + 500));
    const report = await reconcile();
    const after = (await worker.ledger.get(e.key))!;
    assert.equal(after.state, 'released');
    assert.match(after.evidence ?? '', new RegExp(`^pay token ${e.payTokenId} expired uncharged: Skyfire showed 0(\\.0+)? USD charged`));
    assert.deepEqual(report.released, [{ ref: e.ref, evidence: after.evidence }]);
    assert.deepEqual(report.findings, []);
  });

  it('a Skyfire pay token create whose answer was lost: the entry stays reserved and, once stuck, is a finding for a person', async () => {
    // Skyfire creates the pay token and the answer never arrives (the generic fault, matched on the pay create).
    await sb.faults('skyfire', { dropNext: 1, nextMatch: '"type":"pay"' });
    const h = await start(skyfireRefund());
    const s = await result(h);
    assert.equal(s.status, 'needs_attention', s.reason);
    const [e] = await worker.ledger.entries(realm);
    assert.equal(e.state, 'pending');
    assert.equal(e.tokenStage, 'creating');
    assert.deepEqual((await reconcile()).findings, [], 'not yet: a create may still be in flight');
    const pg = new PgClient({ connectionString: testLedgerUrl() });
    await pg.connect();
    try {
      await pg.query(`UPDATE ${worker.ledger.schema}.ledger_entries SET updated_at = now() - interval '31 minutes' WHERE key = $1`, [
        e.key,
      ]);
    } finally {
      await pg.end();
    }
    const report = await reconcile();
    assert.deepEqual(
      report.findings.map((f) => [f.kind, f.customerId, f.finding]),
      [['token_outcome_unknown', '104', `token_outcome_unknown:${e.ref}`]],
    );
    assert.match(report.findings[0].detail, /Skyfire offers no way to find the token, so a person checks the Skyfire dashboard/);
    assert.equal((await worker.ledger.get(e.key))!.state, 'pending', 'the reservation stays: money may still move');
    assert.deepEqual(report.released, []);
  });

  it('QuickBooks-route entries of terminated cases: settled when the record exists, released only once its case is closed and the money activity could no longer write', async () => {
    await paidInvoice('INV-REC-3', 4000);
    await paidInvoice('INV-REC-4', 4000);
    // Credits: a refund of a paid invoice now goes back the way it was paid (card or owned) before its
    // record, so the entries the QuickBooks route still holds are credit memos (and older refunds).
    const automatableCredit = (invoiceNumber: string, amountMinor: number) => {
      const input = automatableRefund(invoiceNumber, amountMinor);
      return { ...input, fields: { ...input.fields, creditRequest: true } };
    };
    // Case A: QuickBooks applies the write and never answers; the case is terminated while it waits.
    await sb.faults('quickbooks', { hangNext: 1, nextMatch: 'INV-REC-3' });
    const a = await start(automatableCredit('INV-REC-3', 4000));
    const ea = await entryOf(a, (x) => x.state === 'pending');
    await waitFor('the record written', async () =>
      ((await sb.control('/quickbooks/entities/CreditMemo')) as { DocNumber: string }[]).some((r) => r.DocNumber === ea.ref)
        ? true
        : undefined,
    );
    await a.terminate('test: the case dies before it settles');
    // Case B: every write fails; terminated while it retries. No record exists.
    await sb.faults('quickbooks', { failNext: 100, nextMatch: 'INV-REC-4' });
    const b = await start(automatableCredit('INV-REC-4', 4000));
    const eb = await entryOf(b, (x) => x.state === 'pending');
    await waitFor('a refused write', async () =>
      (await sb.records('quickbooks', (r) => r.method === 'POST' && JSON.stringify(r.body).includes('INV-REC-4'))).length > 0
        ? true
        : undefined,
    );
    await b.terminate('test: the case dies while QuickBooks is down');
    await sb.faults('quickbooks', {});

    const first = await reconcile();
    const sa = (await worker.ledger.get(ea.key))!;
    assert.equal(sa.state, 'settled');
    assert.equal(sa.settledMinor, 4000);
    assert.match(sa.evidence ?? '', new RegExp(`^QuickBooks CreditMemo \\d+ found by DocNumber ${ea.ref} \\(reconciliation\\)$`));
    assert.ok(sa.recordId);
    assert.equal((await worker.ledger.get(eb.key))!.state, 'pending', 'an attempt may still be running: not released yet');
    assert.deepEqual(first.findings, []);

    // Past the money activity's schedule-to-close (30 min) since the entry last changed, its case closed: released.
    const pg = new PgClient({ connectionString: testLedgerUrl() });
    await pg.connect();
    try {
      await pg.query(`UPDATE ${worker.ledger.schema}.ledger_entries SET updated_at = now() - interval '31 minutes' WHERE key = $1`, [
        eb.key,
      ]);
    } finally {
      await pg.end();
    }
    const second = await reconcile();
    const sb2 = (await worker.ledger.get(eb.key))!;
    assert.equal(sb2.state, 'released');
    assert.equal(sb2.evidence, `QuickBooks has no record ${eb.ref} and case ${b.workflowId} is closed`);
    assert.deepEqual(second.released, [{ ref: eb.ref, evidence: sb2.evidence }]);
    assert.deepEqual(second.findings, []);
  });

  it('a dispute credit whose credit memo was written but never applied to the invoice: pending until applied, a finding once its case is closed, settled when a person applies it', async () => {
    // QuickBooks writes the CreditMemo, then is down for every attempt to apply it; the case is terminated.
    await sb.faults('quickbooks', { failNext: 1000, nextMatch: '"TxnType":"CreditMemo"' });
    const h = await start(
      caseInput('charge_dispute', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-1001',
        amount: { amountMinor: 12000, currency: 'USD' },
        disputeReason: 'not_recognized',
      }),
    );
    const requestId = await waitForRequest(h);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Accept));
    const e = await entryOf(h, (x) => x.kind === 'balance_credit');
    const memo = await waitFor('the credit memo written', async () =>
      ((await sb.control('/quickbooks/entities/CreditMemo')) as { Id: string; DocNumber: string }[]).find((m) => m.DocNumber === e.ref),
    );
    await h.terminate('test: the case dies before its credit is applied');
    await sb.faults('quickbooks', {});

    const first = await reconcile();
    assert.equal((await worker.ledger.get(e.key))!.state, 'pending', 'a credit memo not applied is not a credit of the invoice');
    assert.deepEqual(first.settled, []);
    assert.deepEqual(first.findings, []);
    const pg = new PgClient({ connectionString: testLedgerUrl() });
    await pg.connect();
    try {
      await pg.query(`UPDATE ${worker.ledger.schema}.ledger_entries SET updated_at = now() - interval '31 minutes' WHERE key = $1`, [
        e.key,
      ]);
    } finally {
      await pg.end();
    }
    const second = await reconcile();
    assert.deepEqual(
      second.findings.map((f) => f.finding),
      [`difference:${e.ref}:unapplied`],
    );
    assert.match(second.findings[0].detail, /not applied to the invoice/);
    assert.equal((await worker.ledger.get(e.key))!.state, 'pending', 'never released: the memo exists');

    // A person applies it in QuickBooks (a payment of 0 linking both): the next run settles the entry on it.
    await sb.clients.quickbooks.applyCreditMemo(
      { customerId: '101', currency: 'USD', invoiceId: '1001', creditMemoId: memo.Id, amount: 120 },
      `test-apply-${randomUUID()}`.slice(0, 40),
    );
    const third = await reconcile();
    const settled = (await worker.ledger.get(e.key))!;
    assert.equal(settled.state, 'settled');
    assert.match(settled.evidence ?? '', /found by DocNumber .*, applied \(reconciliation\)/);
    assert.deepEqual(
      third.settled.map((x) => x.ref),
      [e.ref],
    );
  });

  it('a record edited or deleted in QuickBooks after its entry settled is a difference', async () => {
    await paidInvoice('INV-REC-5', 4000);
    await paidInvoice('INV-REC-6', 4000);
    for (const inv of ['INV-REC-5', 'INV-REC-6']) {
      const s = await result(await start(automatableRefund(inv, 4000)));
      assert.equal(s.status, 'completed', s.reason);
    }
    const entries = await worker.ledger.entries(realm);
    const [e5, e6] = ['INV-REC-5', 'INV-REC-6'].map((inv) => entries.find((e) => e.invoiceDoc === inv)!);
    assert.deepEqual((await reconcile()).findings, [], 'both records match their entries');
    // Through the QuickBooks API, as a bookkeeper's edit in the app makes it: one amount changed, the other record deleted.
    const qboWrite = async (query: string, body: unknown) => {
      const { baseUrl, token } = sb.config.connectors.quickbooks;
      const res = await fetch(`${baseUrl}/v3/company/${realm}/refundreceipt?minorversion=75${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, await res.clone().text());
    };
    const line = (amount: number) => [
      { Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: '1' } } },
    ];
    await qboWrite('', { Id: e5.recordId, SyncToken: '0', sparse: true, Line: line(30) });
    await qboWrite('&operation=delete', { Id: e6.recordId, SyncToken: '0' });

    const report = await reconcile();
    assert.deepEqual(report.findings.map((f) => [f.kind, f.customerId]).sort(), [
      ['difference', '101'],
      ['difference', '101'],
    ]);
    const text = report.findings.map((f) => f.detail).join('\n');
    assert.match(
      text,
      new RegExp(
        `QuickBooks RefundReceipt ${e5.recordId} \\(DocNumber ${e5.ref}, USD 30\\.00\\) differs from ledger entry ${e5.ref}: amount USD 30\\.00, the ledger USD 40\\.00`,
      ),
    );
    assert.match(
      text,
      new RegExp(`ledger entry ${e6.ref} settled USD 40\\.00 with QuickBooks RefundReceipt ${e6.recordId}, which QuickBooks no longer has`),
    );
    assert.equal((await worker.ledger.holds(realm)).length, 2);
    assert.equal((await financeAlerts()).length, 2);
  });

  it('the Schedule: created once at start-up, unchanged on the next start, updated when the interval changes; it runs the reconciliation', async () => {
    const scheduleId = `ledger-reconciliation-test-${randomUUID()}`;
    const opts = { taskQueue: worker.taskQueue, intervalMs: 3_600_000, scheduleId };
    assert.equal(await ensureReconcileSchedule(client, opts), 'created');
    const handle = client.schedule.getHandle(scheduleId);
    try {
      assert.equal(await ensureReconcileSchedule(client, opts), 'unchanged');
      assert.equal(await ensureReconcileSchedule(client, { ...opts, intervalMs: 1_800_000 }), 'updated');
      const d = await handle.describe();
      assert.equal(Number(d.spec.intervals?.[0].every), 1_800_000);
      assert.equal(d.policies.overlap, 'SKIP');
      assert.equal(d.action.type, 'startWorkflow');
      assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'reconcileLedger');
      assert.equal(d.action.type === 'startWorkflow' && d.action.taskQueue, worker.taskQueue);
      await handle.trigger();
      const started = await waitFor(
        'the triggered run',
        async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId,
      );
      const report = (await client.workflow.getHandle(started).result()) as ReconcileReport;
      assert.equal(report.realm, realm);
    } finally {
      await handle.delete();
    }
  });
});
