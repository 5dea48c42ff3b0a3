/**
 * Issue 7 §4, API faults: every sandbox API at once answers 30 % of requests with a 5xx, a share
 * with 429 + Retry-After, adds 2 s of latency to every request, and applies some writes but drops
 * their response. Every case still completes and no money action happens twice (counted from the
 * sandbox's records); the figures show how many faults the run actually absorbed.
 * CI: 4 cases at reduced rates; `npm run test:reliability:full` runs 30 at the rates.
 */
import assert from 'node:assert/strict';
import { refundCall, runTag, seedRefundInvoices } from './calls';
import { casesWith, moneyEffects, summarize } from './ledger';
import { describeOpen, figure, settleCases, size, stoppedOnUnknownPayToken, useService } from './helpers';

const rate = (name: string, ciDefault: number) => {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && v >= 0 && v <= 1 ? v : ciDefault;
};
/**
 * Fault mix. Issue 7 sizes (scripts/reliability.ts): 30 % 5xx + 10 % 429 + 10 % dropped writes.
 * CI uses the same kinds at lower rates: activities that make several requests per attempt (search,
 * then create, then update) multiply the failure odds, and Temporal's exponential backoff then
 * stretches the tail to tens of minutes (see RELIABILITY.md, known gaps).
 */
export const FAULTS = {
  errorRate: rate('RELIABILITY_FAULT_ERROR_RATE', 0.15),
  rateLimitRate: rate('RELIABILITY_FAULT_RATE_LIMIT_RATE', 0.05),
  retryAfterSeconds: 1,
  latencyMs: 2000,
  dropResponseRate: rate('RELIABILITY_FAULT_DROP_RATE', 0.05),
};

describe('reliability: API faults on every system', function () {
  this.timeout(size('RELIABILITY_FAULT_WAIT_SECONDS', 15 * 60) * 1000 + 5 * 60_000);
  const service = useService();

  it('completes every case through 5xx, 429 with Retry-After, 2 s latency and dropped write responses, with no duplicate money action', async () => {
    const calls = size('RELIABILITY_FAULT_CALLS', 4);
    const tag = runTag();
    const plan = Array.from({ length: calls }, (_, i) => {
      const callId = `call_faults_${tag}_${i}`;
      const skyfire = i % 3 === 2;
      return { callId, skyfire, body: refundCall(callId, skyfire ? { accountId: 'UMBRELLA-004', amount: '2.50' } : { amount: '9.00' }) };
    });
    // Set-up before the faults: each call's paid invoice.
    await seedRefundInvoices(
      service.svc.sandboxUrl,
      plan.map((p) => p.body),
    );
    await service.svc.setFaults('all', FAULTS);

    const answers = await Promise.all(plan.map((p) => service.svc.postCall(p.body)));
    assert.deepEqual(
      answers.map((a) => a.status),
      plan.map(() => 202),
      'intake does not touch the faulty APIs',
    );
    const started = Date.now();
    const waitMs = size('RELIABILITY_FAULT_WAIT_SECONDS', 15 * 60) * 1000;
    const { results, open } = await settleCases(
      service.client,
      plan.map((p) => p.callId),
      waitMs,
    );
    const seconds = Math.round((Date.now() - started) / 1000);

    const records = await service.svc.sandboxRecords();
    const effects = moneyEffects(
      records,
      plan.map((p) => p.callId),
    );
    const sum = summarize(effects);
    const count = (f: (r: (typeof records)[number]) => boolean) => records.filter(f).length;
    const statusOf = [...results.values()].reduce<Record<string, number>>((m, s) => ((m[s.status] = (m[s.status] ?? 0) + 1), m), {});
    figure(
      `faults: ${calls} cases, ${FAULTS.errorRate * 100}% 5xx / ${FAULTS.rateLimitRate * 100}% 429 / ${FAULTS.dropResponseRate * 100}% dropped writes / 2 s latency on every system; ${records.length} API requests (${count((r) => r.status === 503)} 5xx, ${count((r) => r.status === 429)} 429, ${count((r) => r.dropped === true)} dropped responses) ` +
        `in ${seconds} s -> ${JSON.stringify(statusOf)}, ${open.length} still running, ${sum.byKind.refund_receipt} refund receipts, ${sum.byKind.pay_token} pay tokens, ${sum.duplicates.length} duplicates`,
    );
    // A Skyfire pay token whose create got no answer (a 5xx or a dropped response) cannot be found
    // again (Skyfire documents no listing): that case stops for a person instead of reserving twice.
    const unknown = stoppedOnUnknownPayToken(plan, results);
    const notCompleted = [...results.entries()].filter(([id, s]) => s.status !== 'completed' && !unknown.has(id));
    assert.deepEqual(sum.duplicates, [], 'no money action happened twice');
    assert.equal(sum.unattributed, 0);
    assert.deepEqual(
      notCompleted.map(([id, s]) => `${id}: ${s.status} ${s.reason ?? ''}`),
      [],
      'every case completes (or, paid through Skyfire, stops safely)',
    );
    const stuck = open.length ? await describeOpen(service.client, open) : [];
    assert.deepEqual(stuck, [], `every case finishes within ${waitMs / 1000} s`);
    assert.equal(casesWith(effects, 'refund_receipt').size, calls - unknown.size);
    assert.ok(
      [...unknown].every((id) => !casesWith(effects, 'refund_receipt').has(id)),
      'a stopped Skyfire case recorded nothing',
    );
    // A case that stopped on an unknown outcome did so for a reason the sandbox saw: its pay token
    // POST got a 5xx (not applied here) or a dropped answer (applied). Every other Skyfire case
    // reserved exactly once (duplicates are checked above).
    const tokenPosts = (id: string) =>
      records.filter(
        (r) => r.system === 'skyfire' && r.method === 'POST' && /\/api\/v1\/tokens$/.test(r.path) && JSON.stringify(r.body).includes(id),
      );
    for (const id of unknown) {
      assert.ok(
        tokenPosts(id).some((r) => r.dropped === true || (r.status ?? 0) >= 500),
        `${id} stopped on an unknown pay token outcome only after a token request went unanswered`,
      );
    }
    const payTokens = casesWith(effects, 'pay_token');
    assert.deepEqual(
      plan.filter((p) => p.skyfire && !unknown.has(p.callId) && !payTokens.has(p.callId)).map((p) => p.callId),
      [],
      'every Skyfire case that completed reserved one pay token',
    );
    assert.ok(count((r) => r.status === 503) > 0 && count((r) => r.status === 429) > 0, 'faults were actually injected');
  });
});
