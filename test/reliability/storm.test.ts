/**
 * Issue 7 §1, duplicate storm: every call delivered many times, concurrently, to the real webhook
 * of the service running as child processes. Each case starts once; each money action happens
 * exactly once, counted from the sandbox's recorded requests.
 * CI: 20 calls x 5 deliveries; `npm run test:reliability:full` runs 100 x 10.
 */
import assert from 'node:assert/strict';
import { refundCall, runTag, seedRefundInvoices } from './calls';
import { casesWith, moneyEffects, summarize } from './ledger';
import { figure, listWorkflowIds, refundWorkflowId, size, waitForCases, useService } from './helpers';

describe('reliability: duplicate storm', function () {
  this.timeout(15 * 60_000);
  const service = useService();

  it('starts each case once and moves each refund and pay token exactly once', async () => {
    const calls = size('RELIABILITY_STORM_CALLS', 20);
    const deliveries = size('RELIABILITY_STORM_DELIVERIES', 5);
    const tag = runTag();
    // Every 4th account pays through Skyfire (UMBRELLA-004): a pay token and a refund receipt each.
    const plan = Array.from({ length: calls }, (_, i) => {
      const callId = `call_storm_${tag}_${i}`;
      const skyfire = i % 4 === 3;
      return {
        callId,
        skyfire,
        body: JSON.stringify(refundCall(callId, skyfire ? { accountId: 'UMBRELLA-004', amount: '2.00' } : { amount: '12.00' })),
      };
    });
    await seedRefundInvoices(
      service.svc.sandboxUrl,
      plan.map((p) => p.body),
    );
    // All deliveries of all calls at once, interleaved, as a retrying sender would produce them.
    const sends = plan.flatMap((p) => Array.from({ length: deliveries }, () => p));
    // A 503 (Temporal did not accept in time) asks the sender to retry; DialNexa retries failed
    // deliveries, so do we. Any other 5xx is retried too but counted: it must not happen.
    let retried503 = 0;
    const other5xx: string[] = [];
    const deliver = async (p: (typeof plan)[number]) => {
      for (let attempt = 1; ; attempt++) {
        const res = await service.svc.postCall(p.body);
        if (res.status < 500 || attempt >= 30) return res;
        if (res.status === 503) retried503++;
        else other5xx.push(`${res.status} ${res.text.slice(0, 120)}`);
        await new Promise((r) => setTimeout(r, 250 + Math.random() * 750));
      }
    };
    const answers = await Promise.all(sends.map(async (p) => ({ p, res: await deliver(p) })));

    const statuses = answers.map((a) => a.res.status);
    assert.deepEqual(
      [...new Set(statuses)],
      [202],
      `every delivery is accepted; got ${JSON.stringify(
        answers
          .filter((a) => a.res.status !== 202)
          .slice(0, 3)
          .map((a) => a.res),
      )}`,
    );
    const started = answers.flatMap((a) =>
      (a.res.json as { cases: { status: string; workflowId: string }[] }).cases.filter((c) => c.status === 'started'),
    );
    assert.equal(started.length, calls, 'exactly one delivery per call reports that it started the case');
    assert.deepEqual(new Set(started.map((c) => c.workflowId)), new Set(plan.map((p) => refundWorkflowId(p.callId))));

    const results = await waitForCases(
      service.client,
      plan.map((p) => p.callId),
      10 * 60_000,
    );
    const notCompleted = [...results.entries()].filter(([, s]) => s.status !== 'completed');
    assert.deepEqual(
      notCompleted.map(([id, s]) => `${id}: ${s.status} ${s.reason ?? ''}`),
      [],
      'every case completes',
    );

    const onServer = await listWorkflowIds(service.client, service.svc.taskQueue);
    assert.equal(onServer.length, calls, 'the server holds one workflow per call, no more');

    const effects = moneyEffects(
      await service.svc.sandboxRecords(),
      plan.map((p) => p.callId),
    );
    const sum = summarize(effects);
    const skyfireCalls = plan.filter((p) => p.skyfire).length;
    figure(
      `storm: ${calls} calls x ${deliveries} deliveries (${sends.length} requests, ${retried503} 503s and ${other5xx.length} other 5xx retried by the sender) -> ${onServer.length} cases, ${sum.byKind.refund_receipt} refund receipts, ` +
        `${sum.byKind.pay_token} pay tokens, ${sum.byKind.credit_memo} credit memos, ${sum.byKind.invoice_send} invoice sends, ${sum.duplicates.length} duplicates`,
    );
    assert.deepEqual(sum.duplicates, [], 'no case has a money action twice');
    assert.equal(sum.unattributed, 0, 'every money action belongs to a case of this test');
    assert.equal(casesWith(effects, 'refund_receipt').size, calls, 'every case recorded its refund receipt');
    assert.equal(sum.byKind.refund_receipt, calls);
    assert.equal(sum.byKind.pay_token, skyfireCalls, 'one pay token per Skyfire-paid refund');
    // Overload may ask for a retry (503 temporal_unavailable), never answer with an internal error.
    assert.deepEqual(other5xx.slice(0, 3), [], `${other5xx.length} deliveries got a 5xx other than 503`);
  });
});
