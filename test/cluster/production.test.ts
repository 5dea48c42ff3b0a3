/**
 * The service as production runs it, on the project's own Temporal cluster (PostgreSQL, 4 history
 * shards, SQL visibility): NODE_ENV=production, two API processes and two worker processes on one
 * task queue, every connector on the sandbox, named explicitly (SANDBOX_SYSTEMS=all). In order:
 * a webhook storm spread over both APIs, approvals through both, a worker SIGKILLed between an
 * applied QuickBooks write and its completion, temporal-server killed and restarted while cases
 * wait, PostgreSQL crashed (immediate stop) and restarted while cases wait. Every case must
 * complete, and the money is counted from what the sandbox recorded: 0 duplicates, 0 lost.
 */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NAMESPACE } from '../support/temporal';
import { ServiceHarness, type ChildHandle, type SandboxRecord } from '../support/service';
import { refundCall, runTag, seedRefundInvoices } from '../reliability/calls';
import { casesWith, moneyEffects, summarize } from '../reliability/ledger';
import {
  figure,
  listWorkflowIds,
  refundWorkflowId,
  size,
  stoppedOnUnknownPayToken,
  waitForCases,
  waitForPendingApproval,
} from '../reliability/helpers';
import { statusQuery } from '../../src/workflows/messages';
import type { DecisionSubject } from '../../src/domain/decision';
import { sparePort, testCluster } from './fixture';
import { productionEnv, slackApprove } from './helpers';

interface Planned {
  callId: string;
  skyfire: boolean;
}

const isRefundWrite = (r: SandboxRecord) => r.system === 'quickbooks' && r.method === 'POST' && /\/refundreceipt$/.test(r.path);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cluster: the service in production mode, two APIs and two workers', function () {
  this.timeout(20 * 60_000);
  const tag = runTag();
  const planned: Planned[] = [];
  // Skyfire cases the worker kill left on an unknown pay token: they end needs_attention with no
  // record (by design, see the crash scenario), so the totals below leave them out.
  const stoppedSafely = new Set<string>();
  let svc: ServiceHarness;
  let client: Client;

  before(async () => {
    svc = new ServiceHarness({
      temporalAddress: testCluster().address,
      // Production refuses missing credentials unless the sandboxed systems are named.
      env: productionEnv(),
    });
    svc.sandboxPort = sparePort(0);
    await svc.startSandbox();
    await Promise.all([svc.startApi(sparePort(1)), svc.startApi(sparePort(2)), svc.startWorker(), svc.startWorker()]);
    client = await svc.client();
  });
  after(async () => {
    await client?.connection.close();
    await svc?.stop();
  });

  /** The API a request goes to: round robin, as a load balancer in front of both would. */
  const api = (i: number) => svc.apis[i % svc.apis.length]?.url as string;

  /** A refund call naming a paid invoice of its own, created in the sandbox's QuickBooks first. */
  async function refund(callId: string, opts: Parameters<typeof refundCall>[1]) {
    const body = refundCall(callId, opts);
    await seedRefundInvoices(svc.sandboxUrl, [body]);
    return body;
  }

  /** DialNexa's behaviour: a 5xx is retried after a pause; anything else is the answer. */
  async function deliver(body: object | string, apiUrl: string, tries = 60) {
    for (let attempt = 1; ; attempt++) {
      const res = await svc.postCall(body, { apiUrl }).catch((err: Error) => ({ status: 599, json: undefined, text: err.message }));
      if (res.status < 500 || attempt >= tries) return res;
      await sleep(500);
    }
  }

  /** Starts `n` refunds above the automation limit and waits until each asks for approval. */
  async function waitingCases(prefix: string, n: number) {
    const plan = Array.from({ length: n }, (_, i) => ({ callId: `call_${prefix}_${tag}_${i}`, skyfire: false }));
    planned.push(...plan);
    const bodies = await Promise.all(plan.map((p) => refund(p.callId, { amount: '120.00' })));
    const answers = await Promise.all(bodies.map((body, i) => deliver(body, api(i))));
    assert.deepEqual(
      answers.map((a) => a.status),
      plan.map(() => 202),
    );
    const requests = await Promise.all(plan.map((p) => waitForPendingApproval(client, p.callId, 120_000)));
    // What each Approve button approves (amount, currency, invoice, kind): the click carries it.
    for (const [i, p] of plan.entries()) subjects.set(p.callId, (requests[i] as { subject?: DecisionSubject }).subject);
    return plan.map((p, i) => ({ ...p, requestId: (requests[i] as { requestId: string }).requestId }));
  }

  /**
   * Approves each case once it asks (refunds without an invoice go to review under the refund
   * policy), alternating between the APIs.
   */
  async function approveWhenAsked(callIds: string[]) {
    const asked = await Promise.all(callIds.map((id) => pendingOrDone(id)));
    await approveAll(callIds.flatMap((callId, i) => (asked[i] ? [{ callId, requestId: asked[i] }] : [])));
  }

  /** What each case's Approve button approves (the click carries it). */
  const subjects = new Map<string, DecisionSubject | undefined>();
  /** The open approval request of a case, or undefined once it finished without asking (automated). */
  async function pendingOrDone(callId: string): Promise<string | undefined> {
    const handle = client.workflow.getHandle(refundWorkflowId(callId));
    const deadline = Date.now() + 180_000;
    for (;;) {
      try {
        const state = await handle.query(statusQuery);
        if (state.pendingApproval) {
          subjects.set(callId, state.pendingApproval.subject);
          return state.pendingApproval.requestId;
        }
        if ((await handle.describe()).status.name !== 'RUNNING') return undefined;
      } catch {
        // not started yet, or the server is busy: ask again
      }
      if (Date.now() > deadline) throw new Error(`case ${callId} neither asked for approval nor finished within 180 s`);
      await sleep(250);
    }
  }

  async function approveAll(cases: { callId: string; requestId: string }[]) {
    const answers = await Promise.all(
      cases.map((c, i) => slackApprove(svc, api(i), c.callId, c.requestId, 'U0FIN0001', subjects.get(c.callId))),
    );
    assert.deepEqual(
      answers.map((a) => `${a.status} ${a.status === 200 ? '' : a.text.slice(0, 100)}`.trim()),
      cases.map(() => '200'),
    );
  }

  async function expectCompleted(callIds: string[], timeoutMs = 6 * 60_000) {
    const results = await waitForCases(client, callIds, timeoutMs);
    const notCompleted = [...results.entries()].filter(([, s]) => s.status !== 'completed');
    assert.deepEqual(
      notCompleted.map(([id, s]) => `${id}: ${s.status} ${s.reason ?? ''}`),
      [],
      'every case completes',
    );
    return results;
  }

  it('polls the task queue from both worker processes', async () => {
    let identities: string[] = [];
    for (let i = 0; i < 40 && identities.length < 2; i++) {
      const res = await client.workflowService.describeTaskQueue({
        namespace: NAMESPACE,
        taskQueue: { name: svc.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      identities = [...new Set((res.pollers ?? []).map((p) => p.identity ?? ''))];
      if (identities.length < 2) await sleep(250);
    }
    assert.deepEqual(identities.sort(), svc.workers.map((w) => `reliability-worker:${w.process.pid}`).sort());
    for (const a of svc.apis) assert.equal((await fetch(`${a.url}/healthz`)).status, 200);
    // Production: nothing but the signed webhooks and health is open without the token.
    assert.equal((await fetch(`${api(1)}/cases/${refundWorkflowId('nope')}`)).status, 401);
  });

  it('takes a webhook storm spread over both APIs: each case starts once, each refund is made once', async () => {
    const calls = size('CLUSTER_STORM_CALLS', 24);
    const deliveries = size('CLUSTER_STORM_DELIVERIES', 4);
    const plan = Array.from({ length: calls }, (_, i) => ({ callId: `call_cstorm_${tag}_${i}`, skyfire: i % 4 === 3 }));
    planned.push(...plan);
    const bodies = new Map(
      await Promise.all(
        plan.map(
          async (p) =>
            [
              p.callId,
              JSON.stringify(await refund(p.callId, p.skyfire ? { accountId: 'UMBRELLA-004', amount: '2.00' } : { amount: '12.00' })),
            ] as const,
        ),
      ),
    );
    const sends = plan.flatMap((p) => Array.from({ length: deliveries }, (_, d) => ({ p, apiUrl: api(d) })));
    const started = Date.now();
    const answers = await Promise.all(sends.map(async (s) => ({ s, res: await deliver(bodies.get(s.p.callId) as string, s.apiUrl) })));
    assert.deepEqual([...new Set(answers.map((a) => a.res.status))], [202], JSON.stringify(answers.find((a) => a.res.status !== 202)?.res));
    const starts = answers.flatMap((a) =>
      (a.res.json as { cases: { status: string; workflowId: string }[] }).cases.filter((c) => c.status === 'started'),
    );
    assert.equal(starts.length, calls, 'exactly one delivery per call started its case');
    await approveWhenAsked(plan.map((p) => p.callId));
    await expectCompleted(plan.map((p) => p.callId));
    const sum = summarize(
      moneyEffects(
        await svc.sandboxRecords(),
        plan.map((p) => p.callId),
      ).filter((e) => e.callId),
    );
    figure(
      `cluster storm: ${calls} calls x ${deliveries} deliveries over 2 APIs -> ${starts.length} starts, ${sum.byKind.refund_receipt} refund receipts, ${sum.byKind.pay_token} pay tokens, ${sum.duplicates.length} duplicates, all completed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.deepEqual(sum.duplicates, []);
    assert.equal(sum.byKind.refund_receipt, calls);
    assert.equal(sum.byKind.pay_token, plan.filter((p) => p.skyfire).length);
  });

  it('takes approvals through both APIs', async () => {
    const cases = await waitingCases('capprove', size('CLUSTER_APPROVAL_CALLS', 6));
    await approveAll(cases);
    const results = await expectCompleted(cases.map((c) => c.callId));
    for (const c of cases)
      assert.equal(results.get(c.callId)?.decisions.at(-1)?.actor.id, 'U0FIN0001', `${c.callId}: the Slack approval is in the audit trail`);
  });

  it('survives a worker SIGKILLed right after a QuickBooks refund was applied: the other worker finishes it, once', async () => {
    const plan = Array.from({ length: size('CLUSTER_CRASH_CALLS', 6) }, (_, i) => ({
      callId: `call_ccrash_${tag}_${i}`,
      skyfire: i % 3 === 1,
    }));
    planned.push(...plan);
    // Slow every API a little so activities overlap, and make the next QuickBooks write apply but
    // never answer; the refunds (approved where the policy asks) run into it.
    const since = (await svc.sandboxRecords()).length;
    await svc.setFaults('all', { latencyMs: 250 });
    await svc.setFaults('quickbooks', { latencyMs: 250, dropNext: 1 });
    const bodies = await Promise.all(
      plan.map((p) => refund(p.callId, p.skyfire ? { accountId: 'UMBRELLA-004', amount: '3.00' } : { amount: '15.00' })),
    );
    const answers = await Promise.all(bodies.map((body, i) => deliver(body, api(i))));
    assert.deepEqual(
      answers.map((a) => a.status),
      plan.map(() => 202),
    );
    const approving = approveWhenAsked(plan.map((p) => p.callId));

    // The write the sandbox applied but never answered: its activity is still running on one worker.
    let dropped: SandboxRecord | undefined;
    const deadline = Date.now() + 120_000;
    while (!dropped) {
      dropped = (await svc.sandboxRecords(since)).find((r) => isRefundWrite(r) && r.dropped === true && r.status !== undefined);
      if (!dropped) {
        if (Date.now() > deadline) throw new Error('no QuickBooks refund write was applied within 120 s');
        await sleep(20);
      }
    }
    const lost = plan.find((p) => JSON.stringify(dropped?.body).includes(p.callId));
    assert.ok(lost, 'the dropped write belongs to a case of this test');
    // Which worker runs it: the pending activity's worker identity (reliability-worker:<pid>).
    let victim: ChildHandle | undefined;
    let pending: unknown;
    for (let i = 0; i < 100 && !victim; i++) {
      const desc = await client.workflow.getHandle(refundWorkflowId(lost.callId)).describe();
      pending = desc.raw.pendingActivities?.map((a) => ({ type: a.activityType?.name, state: a.state, identity: a.lastWorkerIdentity }));
      // The case runs one activity at a time; the pending one is the write that got no answer.
      const identity = desc.raw.pendingActivities?.find((a) => a.lastWorkerIdentity)?.lastWorkerIdentity;
      victim = svc.workers.find((w) => identity === `reliability-worker:${w.process.pid}` && w.process.exitCode === null);
      if (!victim) await sleep(20);
    }
    assert.ok(victim, `found the worker process running the refund write; pending activities: ${JSON.stringify(pending)}`);
    await svc.kill(victim);
    const survivor = svc.workers.find((w) => w !== victim && w.process.exitCode === null && w.process.signalCode === null);
    assert.ok(survivor, 'the other worker is still running');
    await svc.setFaults('all', { latencyMs: 0 });
    await svc.setFaults('quickbooks', { latencyMs: 0 });
    await approving;

    // The kill also ends whatever else that worker ran. A Skyfire case whose pay token create was
    // in flight cannot know whether it reserved (Skyfire offers no way to find the token): it stops
    // for a person instead of reserving twice, as the reliability crash test allows too.
    const results = await waitForCases(
      client,
      plan.map((p) => p.callId),
      6 * 60_000,
    );
    for (const id of stoppedOnUnknownPayToken(plan, results)) stoppedSafely.add(id);
    assert.deepEqual(
      [...results.entries()]
        .filter(([id, st]) => st.status !== 'completed' && !stoppedSafely.has(id))
        .map(([id, st]) => `${id}: ${st.status} ${st.reason ?? ''}`),
      [],
      'every case completes (or, paid through Skyfire, stops safely)',
    );
    const records = await svc.sandboxRecords();
    const replays = records.filter(
      (r) => isRefundWrite(r) && r.query.requestid === dropped?.query.requestid && r.seq > (dropped?.seq ?? 0) && !r.faulted,
    );
    // Only this scenario's cases: the records hold the earlier scenarios' money too.
    const effects = moneyEffects(
      records,
      plan.map((p) => p.callId),
    ).filter((e) => e.callId);
    const sum = summarize(effects);
    figure(
      `cluster crash: ${plan.length} cases, worker pid ${victim.process.pid} SIGKILLed after refund write #${dropped.seq} was applied -> completed on the other worker (${stoppedSafely.size} Skyfire case(s) stopped safely on an unknown pay token), lost write replayed ${replays.length}x (else found by the re-check), ${sum.duplicates.length} duplicates`,
    );
    // The surviving worker either replays the write with its requestid (QuickBooks answers the
    // first result) or finds it by the money path's re-check; either way it exists once.
    assert.equal(
      effects.filter((e) => e.callId === lost.callId && e.kind === 'refund_receipt').length,
      1,
      'the refund whose answer was lost exists once in QuickBooks',
    );
    assert.deepEqual(sum.duplicates, []);
    assert.equal(sum.byKind.refund_receipt, plan.length - stoppedSafely.size);
    assert.ok(
      [...stoppedSafely].every((id) => !casesWith(effects, 'refund_receipt').has(id)),
      'a stopped Skyfire case recorded nothing',
    );
    const paid = casesWith(effects, 'pay_token');
    assert.deepEqual(
      plan.filter((p) => p.skyfire && !stoppedSafely.has(p.callId) && !paid.has(p.callId)).map((p) => p.callId),
      [],
      'one pay token per Skyfire-paid refund that completed',
    );
    // Back to two workers for what follows.
    await svc.startWorker();
  });

  it('keeps waiting cases through a temporal-server kill and restart; a delivery while it is down gets a retryable 503', async () => {
    const cases = await waitingCases('csrvrestart', size('CLUSTER_RESTART_CALLS', 4));
    const cluster = testCluster();
    const killedAt = Date.now();
    await cluster.stopServer({ kill: true });
    const late = { callId: `call_csrvrestart_${tag}_late`, skyfire: false };
    planned.push(late);
    const lateBody = await refund(late.callId, { amount: '12.00' });
    const whileDown = await svc.postCall(lateBody, { apiUrl: api(1) });
    assert.equal(whileDown.status, 503, `a delivery while Temporal is down asks to be retried: ${whileDown.text}`);
    await cluster.startServer();
    const downMs = Date.now() - killedAt;
    assert.equal((await deliver(lateBody, api(0))).status, 202, 'the redelivery after the restart is accepted');
    const after = await Promise.all(cases.map((c) => waitForPendingApproval(client, c.callId, 120_000)));
    assert.deepEqual(
      after.map((a) => a.requestId),
      cases.map((c) => c.requestId),
      'the same approval requests are still open',
    );
    await approveAll(cases);
    await approveWhenAsked([late.callId]);
    await expectCompleted([...cases.map((c) => c.callId), late.callId]);
    figure(
      `cluster server restart: ${cases.length} waiting cases, temporal-server SIGKILLed and back after ${(downMs / 1000).toFixed(1)} s -> all approved and completed, late call redelivered after a 503`,
    );
  });

  it('keeps waiting cases through a PostgreSQL crash and restart', async () => {
    const cases = await waitingCases('cpgrestart', size('CLUSTER_PG_RESTART_CALLS', 4));
    const cluster = testCluster();
    const late = { callId: `call_cpgrestart_${tag}_late`, skyfire: false };
    planned.push(late);
    const started = Date.now();
    // Immediate stop: no checkpoint; PostgreSQL runs crash recovery from its WAL on start.
    const restart = cluster.restartPostgres({ mode: 'immediate', downMs: 3000 });
    await sleep(500);
    // A delivery while the database is down: the sender retries until it is accepted.
    const lateAnswer = deliver(await refund(late.callId, { amount: '12.00' }), api(1), 120);
    await restart;
    const downMs = Date.now() - started;
    assert.equal((await lateAnswer).status, 202, 'a call delivered during the outage is accepted once the database is back');
    const after = await Promise.all(cases.map((c) => waitForPendingApproval(client, c.callId, 120_000)));
    assert.deepEqual(
      after.map((a) => a.requestId),
      cases.map((c) => c.requestId),
    );
    await approveAll(cases);
    await approveWhenAsked([late.callId]);
    await expectCompleted([...cases.map((c) => c.callId), late.callId]);
    figure(
      `cluster PostgreSQL restart: ${cases.length} waiting cases, database down ${(downMs / 1000).toFixed(1)} s (immediate stop) -> all approved and completed, a call delivered during the outage started once`,
    );
  });

  it('moved the money of every case exactly once, lost none, and holds one workflow per call', async () => {
    const ids = planned.map((p) => p.callId);
    const effects = moneyEffects(await svc.sandboxRecords(), ids);
    const sum = summarize(effects);
    // Case workflows only: the money path's per-customer lock workflows share the task queue.
    const onServer = (await listWorkflowIds(client, svc.taskQueue)).filter((id) => id.startsWith('case-'));
    figure(
      `cluster ledger: ${ids.length} cases -> ${onServer.length} workflows, ${sum.byKind.refund_receipt} refund receipts, ${sum.byKind.pay_token} pay tokens, ${sum.duplicates.length} duplicates, ${sum.unattributed} unattributed`,
    );
    assert.deepEqual(sum.duplicates, [], '0 duplicates');
    assert.equal(sum.unattributed, 0);
    const recorded = ids.filter((id) => !stoppedSafely.has(id));
    assert.deepEqual([...casesWith(effects, 'refund_receipt')].sort(), recorded.sort(), 'every case has its refund receipt: 0 lost');
    // A stopped Skyfire case may or may not have made its token (that is why it stopped).
    const tokens = casesWith(effects, 'pay_token');
    assert.deepEqual(
      planned.filter((p) => p.skyfire && !stoppedSafely.has(p.callId) && !tokens.has(p.callId)).map((p) => p.callId),
      [],
      'one pay token per completed Skyfire refund',
    );
    assert.ok(
      [...tokens].every((id) => planned.some((p) => p.callId === id && p.skyfire)),
      'pay tokens only for Skyfire-paid cases',
    );
    assert.deepEqual(onServer.sort(), ids.map(refundWorkflowId).sort());
  });

  it('keeps visibility in PostgreSQL: every case is a row with its search attributes', async () => {
    const cluster = testCluster();
    // SQL visibility stores custom attributes under pre-allocated fields (Keyword01, Int01...); the
    // namespace maps them to our names.
    const ns = await client.workflowService.describeNamespace({ namespace: NAMESPACE });
    const aliases = Object.entries(ns.config?.customSearchAttributeAliases ?? {});
    const field = (name: string) => {
      const f = aliases.find(([, alias]) => alias === name)?.[0];
      assert.ok(f && /^[A-Za-z]+\d+$/.test(f), `${name} is mapped to a visibility field (got ${f})`);
      return f;
    };
    const statusField = field('BillingCaseStatus');
    const callField = field('DialNexaCallId');
    const tq = svc.taskQueue.replace(/'/g, "''");
    const query = `SELECT workflow_id, status, search_attributes->>'${statusField}' FROM executions_visibility WHERE task_queue = '${tq}' AND workflow_id LIKE 'case-%'`;
    let rows: string[] = [];
    // Visibility is written asynchronously (transfer tasks): wait for the last closes to land.
    for (let i = 0; i < 40; i++) {
      rows = cluster.sql('temporal_visibility', query).sort();
      if (rows.length === planned.length && rows.every((r) => /\|2\|(completed|needs_attention)$/.test(r))) break;
      await sleep(500);
    }
    // status 2 = WORKFLOW_EXECUTION_STATUS_COMPLETED; a case stopped on an unknown pay token
    // completes its workflow with the case status needs_attention.
    const expected = planned.map((p) => `${refundWorkflowId(p.callId)}|2|${stoppedSafely.has(p.callId) ? 'needs_attention' : 'completed'}`);
    assert.deepEqual(rows, expected.sort());
    const byCall = cluster.sql(
      'temporal_visibility',
      `SELECT workflow_id FROM executions_visibility WHERE search_attributes->>'${callField}' = '${planned[0]?.callId}'`,
    );
    assert.deepEqual(byCall, [refundWorkflowId(planned[0]?.callId as string)]);
  });
});
