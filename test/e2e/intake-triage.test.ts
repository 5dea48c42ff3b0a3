/**
 * Issue 24, through the real path: a signed DialNexa call -> the API's webhook -> case workflows
 * on the real Temporal dev server with the real activities -> the sandbox's systems; decisions are
 * clicks in the sandbox's Slack, delivered signed to the API's interactions route.
 *   §1 no call is lost (unreadable fields, no case type);
 *   §5 triage records the choice made;
 *   §7 dates in the customer's terms;
 *   §9 several intents sharing one field go to review.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CaseInput } from '../../src/domain/case';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { eventually, messagesOf, messageText, startHarness, type Harness, type SandboxSlackMessage } from './harness';

type Json = Record<string, unknown>;
const FIXTURES = path.join(__dirname, '../fixtures/calls');

/** A fixture under a fresh call id, with analysis and call overrides. */
function call(name: string, overrides: { analysis?: Json; call?: Json } = {}): { body: Json; callId: string } {
  const body = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as {
    payload: { call: Json & { post_call_analysis: Json } };
  };
  const callId = `call_e${randomBytes(6).toString('hex')}`;
  Object.assign(body.payload.call, { id: callId }, overrides.call ?? {});
  Object.assign(body.payload.call.post_call_analysis, overrides.analysis ?? {});
  return { body: body as unknown as Json, callId };
}

describe('issue 24: intake, triage, dates and shared fields through webhook -> Temporal -> sandbox', function () {
  this.timeout(120_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  const state = (workflowId: string) => h.client.workflow.getHandle(workflowId).query(statusQuery);
  async function waitState(workflowId: string, ok: (s: CaseState) => boolean, what: string): Promise<CaseState> {
    return eventually(what, async () => {
      const s = await state(workflowId).catch(() => undefined);
      return s && ok(s) ? s : undefined;
    });
  }
  /** The case's Slack request message, once posted with its buttons. */
  async function requestMessage(workflowId: string): Promise<SandboxSlackMessage> {
    return eventually(`the Slack request of ${workflowId}`, async () =>
      messagesOf(await h.slackMessages(), workflowId).find((m) => m.blocks.some((b) => b.type === 'actions')),
    );
  }

  describe('§5 triage records the choice made', () => {
    it('Sam chooses "Invoice resend": the invoice resend starts, and the message says Invoice resend, never Refund', async () => {
      const { body, callId } = call('triage');
      const res = await h.post(body);
      assert.equal(res.status, 202, JSON.stringify(res.json));
      const triageId = caseWorkflowId(callId, 'triage');
      const msg = await requestMessage(triageId);
      // The first (suggested) button is Refund; each choice is its own action.
      const buttons = msg.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])) as {
        action_id: string;
        text: { text: string };
      }[];
      assert.equal(buttons[0].text.text, 'Refund');
      assert.equal(new Set(buttons.map((b) => b.action_id)).size, buttons.length, 'one action per choice');
      const clicked = await h.click('U0FIN0002', msg, 'billing_choose_case_invoice_resend');
      assert.equal(clicked.status, 200, JSON.stringify(clicked));

      const result = (await h.client.workflow.getHandle(triageId).result()) as CaseState;
      assert.deepEqual(result.startedCase, { caseType: 'invoice_resend', workflowId: caseWorkflowId(callId, 'invoice_resend') });
      assert.equal(result.decisions[0].caseType, 'invoice_resend');
      // The chosen case runs to its end (so its writes are not mistaken for a later test's).
      await h.client.workflow.getHandle(caseWorkflowId(callId, 'invoice_resend')).result();

      const final = await eventually('the decided triage message', async () => {
        const m = messagesOf(await h.slackMessages(), triageId).find((x) => x.ts === msg.ts);
        return m && !m.blocks.some((b) => b.type === 'actions') ? m : undefined;
      });
      const text = messageText(final);
      assert.match(text, /Decided: Invoice resend/);
      assert.match(text, /Carry out the decision \(Invoice resend\)/);
      assert.match(text, /Case chosen \(Invoice resend\) by <@U0FIN0002>/);
      assert.doesNotMatch(text, /Decided: Refund|decision \(Refund\)/);
    });

    it('a click whose action id names another choice than its value decides nothing', async () => {
      const { body, callId } = call('triage');
      await h.post(body);
      const triageId = caseWorkflowId(callId, 'triage');
      const msg = await requestMessage(triageId);
      // A button value moved onto another action id (a stale or crafted payload): not one of our clicks.
      const res = (await h.sb.control('/slack/click', {
        user: 'U0FIN0001',
        channel: msg.channel,
        ts: msg.ts,
        actionId: 'billing_choose_case_invoice_resend',
        value: JSON.stringify({
          w: triageId,
          r: (await state(triageId)).pendingApproval!.requestId,
          a: 'choose_case',
          c: 'refund_request',
        }),
      })) as { status: number };
      assert.equal(res.status, 200);
      await new Promise((r) => setTimeout(r, 1000));
      const s = await state(triageId);
      assert.deepEqual(s.decisions, []);
      assert.ok(s.pendingApproval, 'the request is still open');
      await h.client.workflow.getHandle(triageId).terminate('test done');
    });
  });

  /** A counter's value in the API's /metrics. */
  async function held(reason: string): Promise<number> {
    const line = (await h.metrics()).split('\n').find((l) => l.startsWith(`billing_intake_held_calls_total{reason="${reason}"} `));
    return Number(line?.split(' ')[1] ?? NaN);
  }
  const recordsSince = async (system: 'quickbooks' | 'gmail' | 'zendesk' | 'hubspot', since: number) =>
    (await h.sb.records(system)).filter((r) => r.method !== 'GET' && Date.parse(String((r as { at?: string }).at ?? 0)) >= since);

  describe('§1 no call is lost', () => {
    it('a signed refund call with `customer_email: ar@hooli` and `currency: euros` is accepted, kept, and put to a person naming each field', async () => {
      const before = await held('unreadable_fields');
      const { body, callId } = call('refund_request', { analysis: { customer_email: 'ar@hooli', currency: 'euros' } });
      const res = await h.post(body);
      assert.equal(res.status, 202, JSON.stringify(res.json));
      assert.deepEqual((res.json.unreadable as { field: string }[]).map((u) => u.field).sort(), ['amount', 'currency', 'customer_email']);
      const id = caseWorkflowId(callId, 'refund_request');
      assert.deepEqual(
        (res.json.cases as { workflowId: string }[]).map((c) => c.workflowId),
        [id],
      );
      const msg = await requestMessage(id);
      const text = messageText(msg);
      assert.match(text, /Check before acting: part of the call could not be read/);
      // Slack shows caller-derived text with formatting characters neutralised (a backtick becomes ˋ: docs/security.md).
      assert.match(text, /DialNexa said [`ˋ]currency: euros[`ˋ]; we could not read it/);
      assert.match(text, /DialNexa said [`ˋ]amount: 450\.00[`ˋ]; we could not read it \(no readable currency/);
      assert.match(text, /DialNexa's [`ˋ]customer_email[`ˋ] could not be read \(must be an email address\)/);
      assert.doesNotMatch(text, /ar@hooli/, 'a contact detail is named, not quoted, in Slack');
      // What could be read is kept.
      const s = await state(id);
      assert.match(s.handoff.request, /INV-1002/);
      assert.equal(s.status, 'awaiting_approval');
      assert.equal(await held('unreadable_fields'), before + 1);
      // DialNexa's retry of the same call finds the case and is not counted again.
      const again = await h.post(body);
      assert.deepEqual([again.status, (again.json.cases as { status: string }[])[0].status], [202, 'existing']);
      assert.equal(await held('unreadable_fields'), before + 1);
      // Nothing was written anywhere before a person answered.
      assert.deepEqual(
        (await h.sb.records('quickbooks')).filter((r) => r.method === 'POST' && String(r.path).includes(callId)),
        [],
      );

      // Stop: handle by hand (Reject, with a reason, through the modal).
      assert.equal((await h.click('U0FIN0001', msg, 'billing_reject')).status, 200);
      const view = await eventually('the reason modal', async () => {
        const st = (await h.sb.control('/slack/state')) as { views: { id: string; user: string; open: boolean }[] };
        return st.views.find((v) => v.user === 'U0FIN0001' && v.open);
      });
      const submitted = (await h.sb.control('/slack/submit', {
        user: 'U0FIN0001',
        viewId: view.id,
        values: { reason: { reason_input: 'Calling Hooli back for the right email and currency' } },
      })) as { status: number };
      assert.equal(submitted.status, 200);
      const result = (await h.client.workflow.getHandle(id).result()) as CaseState;
      assert.equal(result.status, 'rejected');
      assert.equal(result.handoff.nextStep, 'Handle this request by hand: the case did nothing');
      assert.equal(result.handoff.owner, 'U0FIN0001');
      assert.deepEqual(
        (await h.sb.records('gmail')).filter((r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(callId)),
        [],
      );
    });

    it('"Go ahead as read" on a refund whose amount could not be read ends with a person, said in Slack, nothing written', async () => {
      const { body, callId } = call('refund_request', { analysis: { currency: 'euros' } });
      assert.equal((await h.post(body)).status, 202);
      const id = caseWorkflowId(callId, 'refund_request');
      const msg = await requestMessage(id);
      assert.equal((await h.click('U0FIN0002', msg, 'billing_approve')).status, 200);
      const result = (await h.client.workflow.getHandle(id).result()) as CaseState;
      assert.equal(result.status, 'needs_attention');
      assert.match(result.reason ?? '', /the fields as read are not enough to act on: refund_request: a refund needs a positive amount/);
      const alert = messagesOf(await h.slackMessages(), id).find((m) => /Needs attention/.test(messageText(m)));
      assert.ok(alert, 'finance hears the case could not go ahead');
      assert.match(messageText(alert), /not enough to act on/);
      assert.deepEqual(
        (await h.sb.records('quickbooks')).filter((r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(callId)),
        [],
      );
    });

    it("a request the service has no case type for goes to triage as a billing question, with the caller's words", async () => {
      const before = await held('no_case_type');
      const { body, callId } = call('invoice_resend', {
        analysis: { billing_intent: 'plan_upgrade' },
        call: {
          transcript:
            'agent: Acme billing.\ncaller: We want to move to the annual plan and have the difference credited, can you do that?\nagent: I will pass it on.',
        },
      });
      const res = await h.post(body);
      assert.equal(res.status, 202, JSON.stringify(res.json));
      const id = caseWorkflowId(callId, 'triage');
      assert.deepEqual(
        (res.json.cases as { workflowId: string }[]).map((c) => c.workflowId),
        [id],
      );
      const text = messageText(await requestMessage(id));
      assert.match(text, /Billing question without a case type/);
      assert.match(text, /DialNexa named the request [`ˋ]plan_upgrade[`ˋ], which the service has no case type for/);
      assert.match(text, /We want to move to the annual plan and have the difference credited, can you do that\?/);
      assert.equal(await held('no_case_type'), before + 1);
      await h.client.workflow.getHandle(id).terminate('test done');
    });
  });

  describe('§9 several intents, one shared field', () => {
    it('"resend INV-1001 and refund 300 on INV-1003" with one invoice_number: each case goes to review, nothing is mailed or written', async () => {
      const seqBefore = Math.max(
        0,
        ...(await h.sb.records('gmail')).map((r) => r.seq),
        ...(await h.sb.records('quickbooks')).map((r) => r.seq),
      );
      const before = await held('shared_fields');
      const { body, callId } = call('invoice_resend', {
        analysis: {
          billing_intent: null,
          billing_intents: ['invoice_resend', 'refund_request'],
          invoice_number: 'INV-1003',
          amount: '300.00',
          refund_reason: 'charged for seats we removed',
        },
        call: {
          transcript:
            'agent: Acme billing.\ncaller: Two things: please resend INV-1001, and refund 300 dollars on INV-1003, we were charged for seats we removed.\nagent: Noted.',
          summary: 'Caller asks to resend INV-1001 and to refund 300.00 USD on INV-1003.',
        },
      });
      const res = await h.post(body);
      assert.equal(res.status, 202, JSON.stringify(res.json));
      const ids = [caseWorkflowId(callId, 'invoice_resend'), caseWorkflowId(callId, 'refund_request')];
      assert.deepEqual(
        (res.json.cases as { workflowId: string }[]).map((c) => c.workflowId),
        ids,
      );
      for (const id of ids) {
        const text = messageText(await requestMessage(id));
        assert.match(text, /Check before acting: one call, several requests sharing invoice_number/);
        assert.match(text, /DialNexa gave one [`ˋ]invoice_number[`ˋ] \(INV-1003\) while the call mentions INV-1001, INV-1003/);
        assert.equal((await state(id)).status, 'awaiting_approval');
      }
      assert.match(messageText(await requestMessage(ids[0])), /This invoice resend uses invoice_number INV-1003/);
      assert.equal(await held('shared_fields'), before + 1);
      // Give the cases time to act, had they not waited: nothing reached Gmail or QuickBooks.
      await new Promise((r) => setTimeout(r, 1500));
      const writes = [...(await h.sb.records('gmail')), ...(await h.sb.records('quickbooks'))].filter(
        (r) => r.seq > seqBefore && r.method !== 'GET',
      );
      assert.deepEqual(
        writes.map((r) => `${r.system} ${r.method} ${r.path}`),
        [],
      );
      for (const id of ids) await h.client.workflow.getHandle(id).terminate('test done');
    });

    it('two intents about the one invoice the call names are not held', async () => {
      const before = await held('shared_fields');
      const { body, callId } = call('refund_request', {
        analysis: { billing_intent: null, billing_intents: ['refund_request', 'charge_dispute'], dispute_reason: 'charged twice' },
      });
      assert.equal((await h.post(body)).status, 202);
      const input = await h.client.workflow
        .getHandle(caseWorkflowId(callId, 'charge_dispute'))
        .fetchHistory()
        .then((hist) => hist.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads);
      assert.ok(input, 'the dispute started');
      assert.equal(await held('shared_fields'), before);
      for (const t of ['refund_request', 'charge_dispute'] as const)
        await h.client.workflow.getHandle(caseWorkflowId(callId, t)).terminate('test done');
    });
  });

  describe("§7 dates in the customer's terms", () => {
    /** YYYY-MM-DD of today + `days` (UTC). */
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

    it("a date-only deadline is the end of that day in the account's time zone (HubSpot), and people read it as a date", async () => {
      const tomorrow = day(1);
      const { body, callId } = call('collections', {
        analysis: { account_id: 'INITECH-003', follow_up_deadline: tomorrow, invoice_number: null },
      });
      assert.equal((await h.post(body)).status, 202);
      const id = caseWorkflowId(callId, 'collections');
      const s = await waitState(id, (x) => x.status === 'waiting_for_customer', 'the promise-to-pay wait');
      // Initech is in Chicago: the end of tomorrow there, not 00:00 UTC.
      const end = new Date(s.handoff.nextStepDeadline!);
      assert.equal(
        end.toLocaleString('en-US', { timeZone: 'America/Chicago', hourCycle: 'h23' }).replace(/^(\d+)\/(\d+)\/(\d+), /, '$3-$1-$2 '),
        `${Number(tomorrow.slice(0, 4))}-${Number(tomorrow.slice(5, 7))}-${Number(tomorrow.slice(8, 10))} 23:59:59`,
      );
      assert.ok(end.getTime() > Date.parse(`${tomorrow}T23:59:59.999Z`), 'later than the end of the day in UTC');
      const shown = new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/Chicago',
        weekday: 'short',
        month: 'short',
        day: 'numeric',
        year: 'numeric',
      }).format(end);
      const hubspot = (await h.sb.records('hubspot')).filter((r) => r.method === 'POST' && JSON.stringify(r.body).includes(callId));
      const notes = hubspot
        .map((r) => String((r.body as { properties?: { hs_note_body?: string } }).properties?.hs_note_body ?? ''))
        .join('\n');
      assert.ok(notes.includes(`Follow-up deadline: ${shown}.`), notes.slice(0, 600));
      assert.match(notes, new RegExp(`\\(by ${shown}, 11:59 PM CST\\)`));
      assert.doesNotMatch(notes, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, `no raw timestamp in what people read: ${notes}`);
      const zendesk = (await h.sb.records('zendesk')).filter(
        (r) => r.method !== 'GET' && JSON.stringify(r.body).includes('We will check again'),
      );
      assert.ok(zendesk.some((r) => JSON.stringify(r.body).includes(`We will check again after ${shown}.`)));
      await h.client.workflow.getHandle(id).terminate('test done');
    });

    it('a deadline already past when the call arrives is flagged to the owner, not demanded from the customer', async () => {
      const past = day(-2);
      const seqBefore = Math.max(0, ...(await h.sb.records('gmail')).map((r) => r.seq));
      const { body, callId } = call('renewal_failed', { analysis: { follow_up_deadline: past } });
      assert.equal((await h.post(body)).status, 202);
      const id = caseWorkflowId(callId, 'renewal_failed');
      const result = (await h.client.workflow.getHandle(id).result()) as CaseState;
      // No email asked the customer to pay by a date that had passed.
      const mails = (await h.sb.records('gmail')).filter((r) => r.seq > seqBefore && r.method === 'POST');
      assert.deepEqual(
        mails.map((r) => r.path),
        [],
      );
      assert.equal(result.handoff.owner, 'U0OWN0001');
      // The owner has it: a HubSpot task saying so, and a Slack alert naming them, with dates for people.
      const tasks = (await h.sb.records('hubspot')).filter(
        (r) => r.method === 'POST' && r.path.includes('tasks') && JSON.stringify(r.body).includes(callId),
      );
      assert.equal(tasks.length, 1, JSON.stringify(tasks.map((t) => t.path)));
      assert.match(JSON.stringify(tasks[0].body), /already past when the call came in: agree a new date/);
      const alert = messagesOf(await h.slackMessages(), id).find((m) => /deadline already past on arrival/.test(messageText(m)));
      assert.ok(alert, 'the owner alert');
      const text = messageText(alert);
      assert.match(text, /had already passed when it came in: not put to the customer; flagged to the owner/);
      assert.match(text, /<@U0OWN0001>/);
      assert.match(text, /The call's follow-up deadline \([A-Z][a-z]{2}, [A-Z][a-z]{2} \d+, \d{4}\) had already passed/);
      assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'no raw timestamp in Slack');
    });
  });

  // Used by the sections below.
  void recordsSince;
  void ({} as CaseInput);
});
