/**
 * "I'm out: hand to ...": an approver passes a request to another approver of it. The hand-off is
 * recorded (history, the case's decisions, the message), counts towards nothing, and the request
 * then waits on the new person: visibility's waiting-on, a thread reply and later reminders mention
 * them. Tried as someone would abuse it: to oneself, to a non-approver, to someone who already
 * answered, by a non-approver, with the target changed after signing, as a second approval.
 */
import assert from 'node:assert/strict';
import type { ApprovalRequestView } from '../../src/domain/views';
import { approvalBlocks } from '../../src/connectors/slack-blocks';
import { signDecision } from '../../src/proofs/decision-proof';
import { WaitingOnKey } from '../../src/temporal/search-attributes';
import { DecisionAction, DecisionRejection } from '../../src/domain/decision';
import { decideSignal, statusQuery } from '../../src/workflows/messages';
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
  result,
  testPolicy,
  signalsHandled,
  waitForRequest,
  waitForState,
  type CaseEnv,
} from './helpers';

const refund = (amountMinor: number, over: Parameters<typeof caseInput>[2] = {}) =>
  caseInput(
    'refund_request',
    {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1002',
      amount: { amountMinor, currency: 'USD' },
      refundReason: 'duplicate_charge',
    },
    over,
  );

const handOff = (requestId: string, from: string, to: string, reason?: string) =>
  decision(requestId, from, DecisionAction.HandOff, { handTo: to, ...(reason ? { reason } : {}) });

describe('hand-off to another approver', function () {
  this.timeout(60_000);
  let env: CaseEnv | undefined;
  afterEach(async () => {
    await env?.stop();
    env = undefined;
  });

  it('Dana hands a refund to Sam: recorded, counts nothing, the request waits on Sam, reminders mention Sam, Sam approves once', async () => {
    env = await caseEnv();
    const h = await env.start(refund(20000, { policy: testPolicy({ reminderIntervalMs: 2500 }) }));
    const requestId = await waitForRequest(h);

    const outcome = await decide(h, handOff(requestId, APPROVER_1, APPROVER_2, 'Out until Monday'));
    assert.equal(outcome.status, 'counted');
    assert.equal(outcome.approvals, 0);
    assert.match(outcome.message, new RegExp(`Handed to <@${APPROVER_2}>`));

    const st = await waitForState(h, (s) => (s.pendingApproval?.votes.length ?? 0) === 1);
    assert.equal(st.status, 'awaiting_approval', 'a hand-off closes nothing');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0, 'a hand-off is not an approval');
    assert.deepEqual(
      st.decisions.map((d) => [d.action, d.actor.id, d.handTo, d.reason]),
      [[DecisionAction.HandOff, APPROVER_1, APPROVER_2, 'Out until Monday']],
    );
    // Auditors see whom it waits on now.
    for (let i = 0; i < 50; i++) {
      if ((await h.describe()).typedSearchAttributes.get(WaitingOnKey)?.join() === APPROVER_2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual((await h.describe()).typedSearchAttributes.get(WaitingOnKey), [APPROVER_2]);

    // The message shows it ("Handed off by @Dana ... to @Sam") and still has the buttons; Sam hears of it in the thread.
    // Found by what it says, not by position: on a busy machine a reminder may precede the hand-off.
    const threadPosts = () => env!.fake.callsOf('postApprovalReminder', h.workflowId).map((c) => c.input);
    await waitForState(h, () => threadPosts().some((p) => /Handed off by/.test(String(p.text))));
    const shown = env.fake.callsOf('updateApprovalMessage', h.workflowId).at(-1)!.input.view as ApprovalRequestView;
    assert.equal(shown.state, 'open');
    assert.ok(shown.mentions.includes(APPROVER_2));
    assert.match(shown.statusLine, new RegExp(`^Waiting for a decision from <@${APPROVER_2}>$`));
    const text = JSON.stringify(approvalBlocks(shown));
    assert.match(text, new RegExp(`Handed off by <@${APPROVER_1}> at [^"]* to <@${APPROVER_2}>`));
    assert.match(text, /billing_approve/, 'the buttons stay');
    const noticeAt = threadPosts().findIndex((p) => /Handed off by/.test(String(p.text)));
    assert.ok(noticeAt >= 0, 'Sam hears of the hand-off in the thread');
    const notice = threadPosts()[noticeAt];
    assert.deepEqual(notice.mentions, [APPROVER_2]);
    assert.match(String(notice.text), new RegExp(`Handed off by <@${APPROVER_1}>`));

    // The next reminder is for Sam alone.
    await waitForState(h, () => threadPosts().length >= noticeAt + 2, 10_000);
    const reminder = threadPosts()[noticeAt + 1];
    assert.match(String(reminder.text), /Reminder/);
    assert.deepEqual(reminder.mentions, [APPROVER_2]);

    // Dana has answered this request: she cannot approve it after handing it off, nor hand it again.
    await assertRefused(decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve)), DecisionRejection.AlreadyCounted);
    const approved = await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
    assert.equal(approved.status, 'decided');
    const done = await result(h);
    assert.equal(done.status, 'completed');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 1);
  });

  it('refuses a hand-off to oneself, to a non-approver, to the second tier before escalation, and by a non-approver; nothing changes', async () => {
    env = await caseEnv();
    const h = await env.start(refund(20000));
    const requestId = await waitForRequest(h);

    await assertRefused(decide(h, handOff(requestId, APPROVER_1, APPROVER_1)), DecisionRejection.InvalidHandOff);
    await assertRefused(decide(h, handOff(requestId, APPROVER_1, NOT_APPROVER)), DecisionRejection.InvalidHandOff);
    await assertRefused(decide(h, handOff(requestId, APPROVER_1, CFO)), DecisionRejection.InvalidHandOff);
    await assertRefused(decide(h, handOff(requestId, NOT_APPROVER, APPROVER_2)), DecisionRejection.NotAuthorized);
    await assertRefused(decide(h, decision(requestId, APPROVER_1, DecisionAction.HandOff)), DecisionRejection.InvalidHandOff);
    // handTo on another action is not a back door to anything.
    await assertRefused(
      decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve, { handTo: APPROVER_2 })),
      DecisionRejection.InvalidAction,
    );

    const st = await h.query(statusQuery);
    assert.equal(st.pendingApproval?.votes.length, 0);
    assert.deepEqual(st.decisions, []);
    // Dana can still decide: refusals did not use up her answer.
    assert.equal((await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve))).status, 'decided');
    assert.equal((await result(h)).status, 'completed');
  });

  it('a hand-off whose target was changed after signing, or sent unsigned as a signal, changes nothing', async () => {
    env = await caseEnv();
    const h = await env.start(refund(20000));
    const requestId = await waitForRequest(h);

    // Signed as a hand-off to Sam, sent as one to the second tier's CFO (who is not eligible yet) or to a non-approver.
    const signed = signDecision(TEST_DECISION_KEY, h.workflowId, handOff(requestId, APPROVER_1, APPROVER_2));
    await assertRefused(decideForged(h, { ...signed, handTo: NOT_APPROVER }), DecisionRejection.Unauthenticated);
    await h.signal(decideSignal, { ...handOff(requestId, APPROVER_1, APPROVER_2) });
    await signalsHandled(h);
    const st = await h.query(statusQuery);
    assert.equal(st.pendingApproval?.votes.length, 0);
    // The original, untouched, is accepted.
    assert.equal((await decideForged(h, signed)).status, 'counted');
    await waitForState(h, (s) => s.pendingApproval?.votes.length === 1);
  });

  it('two-person refund: a hand-off cannot stand in for the second approval, nor go to someone who already approved', async () => {
    env = await caseEnv();
    const h = await env.start(refund(150000));
    const requestId = await waitForRequest(h);

    assert.equal((await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve))).status, 'counted');
    await assertRefused(decide(h, handOff(requestId, APPROVER_2, APPROVER_1)), DecisionRejection.InvalidHandOff);
    const st = await waitForState(h, (s) => s.pendingApproval?.votes.length === 1);
    assert.equal(st.status, 'awaiting_approval');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 0);
    assert.equal((await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve))).status, 'decided');
    const done = await result(h);
    assert.equal(done.status, 'completed');
    assert.equal(env.fake.callsOf('recordMoney', h.workflowId).length, 1);
  });
});
