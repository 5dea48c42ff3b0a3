/**
 * Issue 7 §2, worker crash: the worker process is SIGKILLed while activities are in flight, at the
 * moment a QuickBooks refund receipt was APPLIED but its response never reached the activity (the
 * sandbox applies the write and drops the response). A new worker process takes over; every case
 * completes and no money action happens twice (counted from the sandbox's records).
 * CI: 8 cases; `npm run test:reliability:full` runs 40.
 */
import assert from 'node:assert/strict';
import type { SandboxRecord } from '../support/service';
import { refundCall, runTag, seedRefundInvoices } from './calls';
import { casesWith, moneyEffects, summarize } from './ledger';
import { figure, refundWorkflowId, size, stoppedOnUnknownPayToken, waitForCases, useService } from './helpers';

const isRefundWrite = (r: SandboxRecord) => r.system === 'quickbooks' && r.method === 'POST' && /\/refundreceipt$/.test(r.path);

describe('reliability: worker crash (SIGKILL)', function () {
  this.timeout(15 * 60_000);
  const service = useService();

  it('completes every case after the worker dies between an applied QuickBooks write and its completion', async () => {
    const calls = size('RELIABILITY_CRASH_CALLS', 8);
    const tag = runTag();
    const plan = Array.from({ length: calls }, (_, i) => {
      const callId = `call_crash_${tag}_${i}`;
      const skyfire = i % 4 === 1;
      return { callId, skyfire, body: refundCall(callId, skyfire ? { accountId: 'UMBRELLA-004', amount: '3.00' } : { amount: '15.00' }) };
    });
    // Slow every API a little so many activities are in flight at once, and make the first
    // QuickBooks write apply but never answer: the activity cannot complete.
    await service.svc.setFaults('all', { latencyMs: 250 });
    await service.svc.setFaults('quickbooks', { latencyMs: 250, dropNext: 1 });

    await seedRefundInvoices(
      service.svc.sandboxUrl,
      plan.map((p) => p.body),
    );
    const answers = await Promise.all(plan.map((p) => service.svc.postCall(p.body)));
    assert.deepEqual(
      answers.map((a) => a.status),
      plan.map(() => 202),
    );

    // Watch the sandbox; kill the worker the moment the dropped write has been applied.
    const firstWorker = service.svc.worker;
    let dropped: SandboxRecord | undefined;
    let inFlightAtKill = 0;
    const deadline = Date.now() + 120_000;
    while (!dropped) {
      const recs = await service.svc.sandboxRecords();
      dropped = recs.find((r) => isRefundWrite(r) && r.dropped === true && r.status !== undefined);
      if (dropped) {
        await service.svc.kill(firstWorker);
        // Requests the sandbox received that had not been answered when the worker died.
        inFlightAtKill = recs.filter((r) => r.status === undefined).length;
      } else if (Date.now() > deadline) throw new Error('no QuickBooks refund write was applied within 120 s');
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(firstWorker?.process.signalCode === 'SIGKILL', 'the first worker was SIGKILLed');
    const killedAt = dropped.seq;

    await service.svc.setFaults('all', { latencyMs: 0 });
    await service.svc.startWorker();
    const results = await waitForCases(
      service.client,
      plan.map((p) => p.callId),
      8 * 60_000,
    );
    // A Skyfire case killed between sending its pay-token create and hearing back stops safely.
    const unknown = stoppedOnUnknownPayToken(plan, results);
    const notCompleted = [...results.entries()].filter(([id, s]) => s.status !== 'completed' && !unknown.has(id));
    assert.deepEqual(
      notCompleted.map(([id, s]) => `${id}: ${s.status} ${s.reason ?? ''}`),
      [],
      'every case completes (or, paid through Skyfire, stops safely)',
    );

    const records = await service.svc.sandboxRecords();
    const effects = moneyEffects(
      records,
      plan.map((p) => p.callId),
    );
    const sum = summarize(effects);
    // The write whose answer was lost: the new worker's retry of that step re-read the invoice's
    // ledger under its lock, found the record it had written (its case-ref), and did not send the
    // write again (before the money path it re-sent it and relied on QuickBooks' requestid replay).
    const rid = dropped.query.requestid;
    const retried = records.filter((r) => isRefundWrite(r) && r.query.requestid === rid && r.seq > killedAt && !r.faulted);
    figure(
      `crash: ${calls} cases, worker SIGKILLed with ${inFlightAtKill} API requests in flight, right after refund write #${killedAt} was applied -> ` +
        `${results.size} completed, ${sum.byKind.refund_receipt} refund receipts, ${sum.byKind.pay_token} pay tokens, ${sum.duplicates.length} duplicates, lost write replayed ${retried.length}x`,
    );
    assert.equal(retried.length, 0, 'the retry found the applied write in the ledger instead of sending it again');
    assert.deepEqual(sum.duplicates, [], 'no money action happened twice');
    assert.equal(sum.unattributed, 0);
    assert.equal(casesWith(effects, 'refund_receipt').size, calls - unknown.size, 'every case has its refund receipt');
    assert.equal(sum.byKind.refund_receipt, calls - unknown.size);
    const paid = casesWith(effects, 'pay_token');
    assert.deepEqual(
      plan.filter((p) => p.skyfire && !unknown.has(p.callId) && !paid.has(p.callId)).map((p) => p.callId),
      [],
      'every Skyfire case that completed reserved one pay token',
    );
    // The case's own record points at the single receipt QuickBooks holds.
    const lostCase = plan.find((p) => JSON.stringify(dropped?.body).includes(p.callId));
    if (lostCase)
      assert.equal(
        results.get(lostCase.callId)?.records.filter((r) => r.system === 'quickbooks' && r.object === 'RefundReceipt').length,
        1,
        `${refundWorkflowId(lostCase.callId)} references one RefundReceipt (beside the card refund it records)`,
      );
  });

  it('never reserves twice when the worker dies while Skyfire creates the pay token (the create was applied, its answer never came)', async () => {
    const callId = `call_crash_paytoken_${runTag()}`;
    // Only the pay token create hangs (the KYA token is a POST to the same path, with type "kya").
    await service.svc.setFaults('all', { latencyMs: 0 });
    await service.svc.setFaults('skyfire', { hangNext: 1, nextMatch: '"type":"pay"' });
    const body = refundCall(callId, { accountId: 'UMBRELLA-004', amount: '2.50' });
    await seedRefundInvoices(service.svc.sandboxUrl, [body]);
    const answer = await service.svc.postCall(body);
    assert.equal(answer.status, 202);

    const isPayCreate = (r: SandboxRecord) =>
      r.system === 'skyfire' &&
      r.method === 'POST' &&
      /\/api\/v1\/tokens$/.test(r.path) &&
      (r.body as { type?: string } | undefined)?.type === 'pay' &&
      JSON.stringify(r.body).includes(callId);
    // Kill the worker the moment Skyfire applied the create: whatever the activity meant to
    // record after sending it (heartbeats are throttled) dies with the process.
    const worker = service.svc.worker;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const applied = (await service.svc.sandboxRecords()).find((r) => isPayCreate(r) && r.status !== undefined);
      if (applied) break;
      if (Date.now() > deadline) throw new Error('no pay token create was applied within 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    await service.svc.kill(worker);
    assert.ok(worker?.process.signalCode === 'SIGKILL', 'the worker was SIGKILLed');
    await service.svc.startWorker();

    // The attempt times out on the server (the money group's start-to-close), the new worker retries.
    const results = await waitForCases(service.client, [callId], 5 * 60_000);
    const state = results.get(callId);
    const records = await service.svc.sandboxRecords();
    const creates = records.filter((r) => isPayCreate(r) && !r.faulted);
    figure(`crash during pay token create: ${creates.length} pay token create(s) reached Skyfire -> ${state?.status}`);
    assert.equal(creates.length, 1, 'one pay token create reached Skyfire: the retry did not reserve again');
    assert.equal(state?.status, 'needs_attention');
    assert.match(state?.reason ?? '', /may have created a pay token/);
    const effects = moneyEffects(records, [callId]);
    assert.equal(casesWith(effects, 'refund_receipt').size, 0, 'nothing recorded in QuickBooks for a refund whose money did not move');
  });
});
