import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ApprovalRequestView } from '../../src/domain/views';
import { approvalBlocks } from '../../src/connectors/slack-blocks';
import { CaseStatusKey, WaitingOnKey } from '../../src/temporal/search-attributes';
import { DecisionAction, DecisionRejection } from '../../src/domain/decision';
import { decideSignal, statusQuery } from '../../src/workflows/messages';
import { signDecision } from '../../src/proofs/decision-proof';
import {
  APPROVER_1,
  APPROVER_2,
  CFO,
  NOT_APPROVER,
  TEST_DECISION_KEY,
  assertRefused,
  caseEnv,
  caseInput,
  decide,
  decideForged,
  decision,
  mutablePolicy,
  result,
  testMoneyPolicy,
  testPolicy,
  waitForRequest,
  waitForState,
  type CaseEnv,
} from './helpers';

const refund = (fields: Parameters<typeof caseInput>[1], over: Parameters<typeof caseInput>[2] = {}) =>
  caseInput(
    'refund_request',
    {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1002',
      amount: { amountMinor: 2500, currency: 'USD' },
      refundReason: 'duplicate_charge',
      ...fields,
    },
    over,
  );

describe('refundRequest workflow', function () {
  this.timeout(60_000);
  let env: CaseEnv | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  it('automates a refund inside policy: records it once, confirms by ticket and verified email, asks nobody', async () => {
    env = await caseEnv();
    const h = await env.start(refund({}));
    const s = await result(h);
    assert.equal(s.status, 'completed');
    const recorded = env.fake.callsOf('recordMoney', h.workflowId);
    assert.equal(recorded.length, 1);
    assert.deepEqual(recorded[0].input.amount, { amountMinor: 2500, currency: 'USD' });
    assert.equal(recorded[0].input.kind, 'refund_receipt');
    assert.match(String(recorded[0].input.privateNote), /Automated inside policy/);
    assert.equal(env.fake.callsOf('postApprovalRequest', h.workflowId).length, 0);
    assert.equal(env.fake.callsOf('sendCustomerEmail', h.workflowId)[0].input.to, 'billing@acme.example');
    // The customer's confirmation goes with the final ticket update (one Zendesk activity), public, under its own step.
    const settled = env.fake.callsOf('settleTicket', h.workflowId);
    assert.equal(settled.length, 1);
    assert.deepEqual(settled[0].input.comment, {
      step: 'refund.confirm.public',
      body: 'Your refund of USD 25.00 has been issued for invoice INV-1002.',
      public: true,
    });
    assert.equal(env.fake.callsOf('addTicketNote', h.workflowId).filter((c) => c.input.public === true).length, 0);
    assert.deepEqual(s.decisions, []);
  });

  it('records a credit memo when the caller asked for credit', async () => {
    env = await caseEnv();
    const h = await env.start(refund({ creditRequest: true }));
    assert.equal((await result(h)).status, 'completed');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId)[0].input.kind, 'credit_memo');
  });

  it('asks one approver above the automation limit and records the refund once approved', async () => {
    env = await caseEnv();
    const h = await env.start(refund({ amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind' }));
    const requestId = await waitForRequest(h);
    const view = env.fake.callsOf('postApprovalRequest', h.workflowId)[0].input.view as ApprovalRequestView;
    assert.equal(view.requestId, requestId);
    assert.equal(view.required, 1);
    assert.deepEqual(view.eligibleApprovers, [APPROVER_1, APPROVER_2]);
    assert.deepEqual(
      view.actions.map((a) => a.action),
      ['approve', 'reject'],
    );
    assert.ok(!view.noteLines.join('\n').includes('@'), 'no emails in Slack');
    assert.equal((await h.query(statusQuery)).status, 'awaiting_approval');

    const outcome = await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    assert.equal(outcome.status, 'decided');
    assert.match(outcome.message, /Approved by Dana Finance \(1 of 1\)/);
    const s = await result(h);
    assert.equal(s.status, 'completed');
    assert.equal(s.decisions.length, 1);
    assert.equal(s.decisions[0].actor.id, APPROVER_1);
    assert.equal(s.decisions[0].requestId, requestId);
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 1);
    const final = env.fake.callsOf('updateApprovalMessage', h.workflowId).at(-1)!.input.view as ApprovalRequestView;
    assert.equal(final.state, 'approved');
    assert.deepEqual(final.actions, [], 'the decided message has no buttons');
  });

  it('after an approved refund the Slack message shows the decision, in words, once, and ends with the record written', async () => {
    env = await caseEnv();
    const h = await env.start(refund({ amount: { amountMinor: 20000, currency: 'USD' } }));
    const requestId = await waitForRequest(h);
    const posted = env.fake.callsOf('postApprovalRequest', h.workflowId)[0].input.view as ApprovalRequestView;
    const field = (v: ApprovalRequestView, label: string) => v.fields.find((f) => f.label === label)?.value;
    assert.equal(field(posted, 'Why review'), 'Above the USD 50.00 automation limit');
    assert.equal(field(posted, 'Reason'), 'Duplicate charge');
    assert.match(posted.noteLines.join('\n'), /Status: Awaiting approval/, 'while it waits, the note says so');

    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    const s = await result(h);
    assert.equal(s.status, 'completed');
    const receipt = s.records.find((r) => r.object === 'RefundReceipt');
    assert.ok(receipt?.url, 'the refund was recorded');

    const updates = env.fake
      .callsOf('updateApprovalMessage', h.workflowId)
      .map((c) => ({ step: String(c.input.step), view: c.input.view as ApprovalRequestView }));
    assert.deepEqual(
      updates.map((u) => u.step),
      ['refund.approval.1.final', 'refund.approval.1.done'],
      'buttons off first, then the outcome; never the older view last',
    );
    const text = (v: ApprovalRequestView) => JSON.stringify(approvalBlocks(v));
    for (const { step, view } of updates) {
      const t = text(view);
      assert.ok(!/awaiting_approval|Awaiting approval/i.test(t), `${step}: no waiting status once decided`);
      assert.ok(!t.includes('Approve or reject'), `${step}: no waiting next step once decided`);
      assert.equal(t.match(/Approved by/g)?.length, 1, `${step}: "Approved by" appears once (the vote line with who and when)`);
      assert.ok(!/above_limit|duplicate_charge/.test(t), `${step}: no codes`);
      assert.deepEqual(view.actions, [], `${step}: no buttons`);
    }
    const decided = updates[0].view;
    assert.match(decided.noteLines.join('\n'), /Next step: Record the refund in QuickBooks/);
    assert.match(decided.noteLines.join('\n'), /Status: Being carried out/);
    const done = updates[1].view;
    assert.equal(
      done.statusLine,
      `Refund recorded in QuickBooks, <${receipt.url}|RefundReceipt ${receipt.id}>; the customer was told on the ticket and by email`,
    );
    assert.match(done.noteLines.join('\n'), /Status: Completed/);
    assert.match(done.noteLines.join('\n'), /Next step: None: refund recorded and confirmed/);
    assert.match(done.noteLines.join('\n'), new RegExp(`Record: quickbooks RefundReceipt ${receipt.id}`), 'the note links the record');
    assert.match(text(done), new RegExp(`Approved by <@${APPROVER_1}> at <!date`), 'who decided and when');
  });

  it('above the two-person threshold needs two different approvers; the same person twice, a non-approver and an old request change nothing', async () => {
    env = await caseEnv();
    const h = await env.start(refund({ amount: { amountMinor: 150000, currency: 'USD' } }));
    const requestId = await waitForRequest(h);

    const first = await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    assert.deepEqual([first.status, first.approvals, first.required], ['counted', 1, 2]);
    await assertRefused(decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve)), DecisionRejection.AlreadyCounted);
    await assertRefused(decide(h, decision(requestId, NOT_APPROVER, DecisionAction.Approve)), DecisionRejection.NotAuthorized);
    await assertRefused(decide(h, decision(randomUUID(), APPROVER_2, DecisionAction.Approve)), DecisionRejection.StaleRequest);
    // The same rules hold for a signal: a non-approver's signal is ignored.
    await h.signal(decideSignal, decision(requestId, NOT_APPROVER, DecisionAction.Approve, { source: 'operator' }));
    const mid = await waitForState(h, (st) => (st.pendingApproval?.votes.length ?? 0) === 1);
    assert.equal(mid.status, 'awaiting_approval');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0, 'no money before the second approval');
    // The counted vote shows on the message, still with buttons.
    await waitForState(h, () => env!.fake.callsOf('updateApprovalMessage', h.workflowId).length >= 1);
    const shown = env.fake.callsOf('updateApprovalMessage', h.workflowId)[0].input.view as ApprovalRequestView;
    assert.equal(shown.votes.length, 1);
    assert.equal(shown.state, 'open');
    assert.match(shown.statusLine, /1 of 2/);

    // Auditors find it: status and who it still waits on are search attributes.
    const described = await h.describe();
    assert.equal(described.typedSearchAttributes.get(CaseStatusKey), 'awaiting_approval');
    assert.deepEqual(described.typedSearchAttributes.get(WaitingOnKey), [APPROVER_2]);

    const second = await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
    assert.equal(second.status, 'decided');
    const s = await result(h);
    assert.equal(s.status, 'completed');
    assert.deepEqual(
      s.decisions.map((d) => d.actor.id),
      [APPROVER_1, APPROVER_2],
    );
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 1);
    const after = await h.describe();
    assert.equal(after.typedSearchAttributes.get(CaseStatusKey), 'completed');
    assert.equal(after.typedSearchAttributes.get(WaitingOnKey), undefined);
  });

  it('forged decisions through the Temporal client (update or signal, "from Slack", as two approvers) move no money; the signed path still works', async () => {
    env = await caseEnv();
    const h = await env.start(
      refund({ invoiceNumber: 'INV-1001', amount: { amountMinor: 150000, currency: 'USD' }, refundReason: 'billing_error' }),
    );
    const requestId = await waitForRequest(h);
    // What the Web UI's signal button or the CLI can send: claims with no proof, or a made-up one.
    for (const actor of [APPROVER_1, APPROVER_2]) {
      await h.signal(decideSignal, decision(requestId, actor, DecisionAction.Approve));
      await assertRefused(decideForged(h, decision(requestId, actor, DecisionAction.Approve)), DecisionRejection.Unauthenticated);
      await assertRefused(
        decideForged(h, {
          ...decision(requestId, actor, DecisionAction.Approve),
          proof: { v: 1, issuedAt: new Date().toISOString(), mac: 'forged' },
        }),
        DecisionRejection.Unauthenticated,
      );
    }
    // A proof made with another key, or a real proof with the actor changed: refused by the worker's gate.
    await assertRefused(
      decideForged(
        h,
        signDecision('another-key-that-is-not-the-workers-0000000', h.workflowId, decision(requestId, APPROVER_1, DecisionAction.Approve)),
      ),
      DecisionRejection.Unauthenticated,
    );
    const real = signDecision(TEST_DECISION_KEY, h.workflowId, decision(requestId, NOT_APPROVER, DecisionAction.Approve));
    await assertRefused(decideForged(h, { ...real, actor: { id: APPROVER_1 } }), DecisionRejection.Unauthenticated);
    // A proof of this case copied onto another request id.
    await assertRefused(
      decideForged(h, {
        ...signDecision(TEST_DECISION_KEY, h.workflowId, decision(requestId, APPROVER_1, DecisionAction.Approve)),
        requestId: 'other',
      }),
      DecisionRejection.StaleRequest,
    );
    let s = await h.query(statusQuery);
    assert.equal(s.status, 'awaiting_approval');
    assert.deepEqual(s.decisions, [], 'no forged vote was counted');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
    // A signed non-approver: authenticated, but not authorized.
    await assertRefused(decide(h, decision(requestId, NOT_APPROVER, DecisionAction.Approve)), DecisionRejection.NotAuthorized);
    // The genuine path: signed decisions (as the Slack route makes them) from two approvers.
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
    s = await result(h);
    assert.equal(s.status, 'completed');
    assert.deepEqual(
      s.decisions.map((d) => [d.actor.id, d.source, d.policyVersion]),
      [
        [APPROVER_1, 'slack', testMoneyPolicy().version],
        [APPROVER_2, 'slack', testMoneyPolicy().version],
      ],
    );
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 1);
  });

  it('a decision sent as a signal counts only with a proof from the API, with the same rules as the update', async () => {
    env = await caseEnv();
    const h = await env.start(refund({ amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind' }));
    const requestId = await waitForRequest(h);
    const { subject } = (await h.query(statusQuery)).pendingApproval!;
    await h.signal(
      decideSignal,
      signDecision(TEST_DECISION_KEY, h.workflowId, decision(requestId, APPROVER_2, DecisionAction.Approve, subject ? { subject } : {})),
    );
    const s = await result(h);
    assert.equal(s.status, 'completed');
    assert.equal(s.decisions[0].actor.id, APPROVER_2);
  });

  it('an approver removed from the worker configuration after the case started cannot approve it; the policy applied is the one at the decision', async () => {
    const policy = mutablePolicy();
    env = await caseEnv({ policy: policy.get });
    const h = await env.start(refund({ amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind' }));
    const requestId = await waitForRequest(h);
    policy.set({ approvers: [APPROVER_1] });
    await assertRefused(decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve)), DecisionRejection.NotAuthorized);
    // A caller-supplied policy in the input (old shape) changes nothing either.
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    const s = await result(h);
    assert.equal(s.status, 'completed');
    assert.equal(s.decisions[0].policyVersion, policy.get().version);
  });

  it('ignores approvers and limits smuggled into the workflow input', async () => {
    env = await caseEnv();
    const input = refund({ amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind' });
    const smuggled = {
      ...input,
      policy: {
        ...input.policy,
        approvers: [NOT_APPROVER],
        refundAutomationLimitMinor: 99_999_999,
        refundAutomationLimits: { USD: 99_999_999 },
      },
    } as unknown as typeof input;
    const h = await env.start(smuggled);
    const requestId = await waitForRequest(h);
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0, 'not automated by a limit from the input');
    await assertRefused(decide(h, decision(requestId, NOT_APPROVER, DecisionAction.Approve)), DecisionRejection.NotAuthorized);
    await h.cancel();
  });

  it('rejected: nothing recorded, the ticket tells the customer', async () => {
    env = await caseEnv();
    const h = await env.start(refund({ amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind' }));
    const requestId = await waitForRequest(h);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Reject, { reason: 'outside refund window' }));
    const s = await result(h);
    assert.equal(s.status, 'rejected');
    assert.match(s.reason ?? '', /outside refund window/);
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
    assert.ok(
      env.fake
        .callsOf('addTicketNote', h.workflowId)
        .some((c) => c.input.public === true && /not able to issue this refund/.test(String(c.input.body))),
    );
    assert.equal((env.fake.callsOf('updateApprovalMessage', h.workflowId).at(-1)!.input.view as ApprovalRequestView).state, 'rejected');
  });

  it('refuses a second-tier approver until the request escalates', async () => {
    // Escalation an hour away: the refusal cannot race the escalation timer, however busy the machine.
    env = await caseEnv();
    const policy = testPolicy({ escalateAfterMs: 3_600_000, approvalTimeoutMs: 7_200_000 });
    const h = await env.start(refund({ amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind' }, { policy }));
    const requestId = await waitForRequest(h);
    await assertRefused(decide(h, decision(requestId, CFO, DecisionAction.Approve)), DecisionRejection.NotAuthorized);
    const st = await h.query(statusQuery);
    assert.equal(st.pendingApproval?.escalated, false);
    assert.ok(!st.pendingApproval?.eligibleApprovers.includes(CFO));
    assert.equal(st.pendingApproval?.votes.length, 0);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Reject, { reason: 'test over' }));
    assert.equal((await result(h)).status, 'rejected');
    assert.equal(env.fake.callsOf('moveMoney', h.workflowId).length, 0);
  });

  it('reminds, then escalates to the second tier, then expires failing closed', async () => {
    env = await caseEnv();
    const policy = testPolicy({ reminderIntervalMs: 1000, escalateAfterMs: 2500, approvalTimeoutMs: 5000 });
    const h = await env.start(refund({ amount: { amountMinor: 20000, currency: 'USD' }, refundReason: 'changed_mind' }, { policy }));
    const s = await result(h);
    // The escalation as the message showed it (read from the recorded Slack updates, not by polling
    // for the short-lived escalated state, which a busy machine can let pass between two looks).
    const escalated = env.fake
      .callsOf('updateApprovalMessage', h.workflowId)
      .map((c) => c.input.view as ApprovalRequestView)
      .find((v) => v.state === 'open' && v.eligibleApprovers.includes(CFO));
    assert.ok(escalated, 'the request was shown escalated, the second tier eligible');
    assert.match(escalated.statusLine, /escalated to second tier/);
    assert.equal(s.status, 'expired');
    assert.match(s.reason ?? '', /failed closed, no money moved/);
    assert.equal(s.pendingApproval, undefined);

    const reminders = env.fake.callsOf('postApprovalReminder', h.workflowId);
    const escalation = reminders.findIndex((r) => /Escalated/.test(String(r.input.text)));
    assert.ok(escalation >= 1, 'at least one reminder before escalation');
    assert.deepEqual(reminders[0].input.mentions, [APPROVER_1, APPROVER_2]);
    // Dates people read in Slack are Slack date tokens, never raw timestamps (issue 24 §7).
    assert.match(
      String(reminders[0].input.text),
      /it expires <!date\^\d+\^\{date_short_pretty\} at \{time\}\|[A-Z][a-z]{2}, [A-Z][a-z]{2} \d+, \d{4}/,
    );
    assert.doesNotMatch(String(reminders[0].input.text), /\d{4}-\d{2}-\d{2}T/);
    assert.ok((reminders[escalation].input.mentions as string[]).includes(CFO));
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
    assert.equal(env.fake.callsOf('createPayToken', h.workflowId).length, 0);
    assert.equal((env.fake.callsOf('updateApprovalMessage', h.workflowId).at(-1)!.input.view as ApprovalRequestView).state, 'expired');
    assert.ok(
      env.fake
        .callsOf('addTicketNote', h.workflowId)
        .some((c) => c.input.public === true && /no refund has been made/.test(String(c.input.body))),
    );
  });

  it('through Skyfire with enough balance: checks the wallet, creates one pay token (reused on retry), tags the record', async () => {
    env = await caseEnv({ payTokenFailsOnceAfterCreate: true });
    const h = await env.start(
      refund({ accountId: 'UMBRELLA-004', invoiceNumber: 'INV-4002', amount: { amountMinor: 3000, currency: 'USD' } }),
    );
    const s = await result(h);
    assert.equal(s.status, 'completed');
    assert.equal(env.fake.callsOf('getWalletBalance', h.workflowId).length, 1);
    const attempts = env.fake.callsOf('createPayToken', h.workflowId);
    assert.deepEqual(
      attempts.map((a) => a.attempt),
      [1, 2],
      'the retry hit the same step',
    );
    assert.ok(attempts.every((a) => a.input.step === 'refund.pay'));
    const tokens = s.records.filter((r) => r.system === 'skyfire');
    assert.equal(tokens.length, 1);
    assert.match(
      String(env.fake.callsOf('recordMoney', h.workflowId)[0].input.privateNote),
      new RegExp(`Skyfire pay token ${tokens[0].id}`),
    );
    assert.match(String(env.fake.callsOf('recordMoney', h.workflowId)[0].input.privateNote), /Skyfire KYA token kya-/);
  });

  it('through Skyfire with too little balance: no token, finance alerted, needs attention', async () => {
    env = await caseEnv({ walletMinor: 500 });
    const h = await env.start(
      refund({ accountId: 'UMBRELLA-004', invoiceNumber: 'INV-4002', amount: { amountMinor: 3000, currency: 'USD' } }),
    );
    const s = await result(h);
    assert.equal(s.status, 'needs_attention');
    assert.match(s.reason ?? '', /wallet balance too low/);
    assert.equal(env.fake.callsOf('createPayToken', h.workflowId).length, 0);
    assert.equal(env.fake.callsOf('createKyaToken', h.workflowId).length, 0);
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
    const alert = env.fake.callsOf('postFinanceAlert', h.workflowId);
    assert.equal(alert.length, 1);
    assert.ok((alert[0].input.view as { mentions: string[] }).mentions.includes('U0OWN0002'), 'the account owner is mentioned');
  });

  it('when recording fails after earlier writes, the ticket says so and finance is alerted; nothing is reversed', async () => {
    env = await caseEnv({ recordRefundFails: true });
    const h = await env.start(refund({}));
    const s = await result(h);
    assert.equal(s.status, 'needs_attention');
    assert.match(s.reason ?? '', /accounting period closed/);
    const note = env.fake.callsOf('addTicketNote', h.workflowId).find((c) => c.input.step === 'attention.note');
    // QuickBooks refused the record (a business rule): it was not done, and neither the note nor the alert says it was.
    assert.match(String(note?.input.body), /Already done outside: ticket\.open\.\nRefused by the system \(not done\): refund\.record\./);
    const alerts = env.fake.callsOf('postFinanceAlert', h.workflowId);
    assert.equal(alerts.length, 1);
    const fields = (alerts[0].input.view as { fields: { label: string; value: string }[] }).fields;
    assert.deepEqual(
      fields.filter((f) => f.label !== 'Why'),
      [
        { label: 'Already done', value: 'ticket.open' },
        { label: 'Refused (not done)', value: 'refund.record' },
      ],
    );
  });

  it('a bug in workflow code fails the workflow task (retried until a fix is deployed) instead of closing the case', async () => {
    env = await caseEnv({ brokenInvoiceRead: true });
    const h = await env.start(refund({}));
    const until = Date.now() + 20_000;
    let taskFailures = 0;
    while (Date.now() < until && taskFailures === 0) {
      await new Promise((r) => setTimeout(r, 300));
      const history = await h.fetchHistory();
      taskFailures = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length;
    }
    assert.ok(taskFailures > 0, 'the workflow task failed');
    const desc = await h.describe();
    assert.equal(desc.status.name, 'RUNNING', 'the case is not closed by a bug');
    assert.notEqual(desc.typedSearchAttributes.get(CaseStatusKey), 'needs_attention');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
    await h.terminate('test done');
  });

  it('fails clearly on a refund without an amount', async () => {
    env = await caseEnv();
    const h = await env.start(refund({ amount: undefined }));
    await assert.rejects(h.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'InvalidCaseInput');
      assert.match(err.cause.message, /needs a positive amount/);
      return true;
    });
    assert.equal(env.fake.calls.filter((c) => c.workflowId === h.workflowId).length, 0, 'nothing touched outside');
  });
});
