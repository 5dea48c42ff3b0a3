/**
 * Slack clicks against the real refund workflow (issue 21: the older interaction tests ran against a
 * fixture workflow with its own copy of the rules). A signed webhook starts a refund that needs two
 * approvers; the sandbox's Slack sends properly signed clicks to the API's route; the case's own
 * gate decides. A click by someone who is not an approver, a click on a replaced request and the
 * same person clicking twice at the same moment change nothing, and each says so privately.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { decodeButtonValue, encodeButtonValue } from '../../src/connectors/slack-buttons';
import { statusQuery } from '../../src/workflows/messages';
import { eventually, messagesOf, startHarness, type Harness, type SandboxSlackMessage } from './harness';

type Json = Record<string, unknown>;
const FIXTURES = path.join(__dirname, '../fixtures/calls');

function refundCall(analysis: Json): { body: Json; callId: string } {
  const body = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'refund_request.json'), 'utf8')) as {
    payload: { call: Json & { post_call_analysis: Json } };
  };
  const callId = `call_k${randomBytes(6).toString('hex')}`;
  Object.assign(body.payload.call, { id: callId });
  Object.assign(body.payload.call.post_call_analysis, analysis);
  return { body: body as unknown as Json, callId };
}

interface Ephemeral {
  user: string;
  text: string;
}

describe('Slack clicks on the real refund workflow (signed interactions -> the case gate)', function () {
  this.timeout(120_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  const ephemerals = async () => ((await h.sb.control('/slack/state')) as { ephemerals?: Ephemeral[] }).ephemerals ?? [];
  const votes = async (workflowId: string) =>
    (await h.client.workflow.getHandle(workflowId).query(statusQuery)).pendingApproval?.votes ?? [];

  /** A USD 1,500.00 refund on INV-1003 (paid 2,500.00): above the two-person threshold, so two approvers. */
  async function twoPersonRefund(): Promise<{ workflowId: string; message: SandboxSlackMessage }> {
    const { body, callId } = refundCall({ invoice_number: 'INV-1003', amount: '1500.00', refund_reason: 'customer_request' });
    assert.equal((await h.post(body)).status, 202);
    const workflowId = caseWorkflowId(callId, 'refund_request');
    const message = await eventually(`the Slack request of ${workflowId}`, async () =>
      messagesOf(await h.slackMessages(), workflowId).find((m) => m.blocks.some((b) => b.type === 'actions')),
    );
    return { workflowId, message };
  }

  it('someone who is not an approver is told privately; nothing is counted and the case keeps waiting', async () => {
    const { workflowId, message } = await twoPersonRefund();
    assert.equal((await h.click('U0AGT0001', message, 'billing_approve')).status, 200);
    const said = await eventually('the private refusal', async () => (await ephemerals()).find((e) => e.user === 'U0AGT0001'));
    assert.match(said.text, /not (authorized|an approver)/i);
    assert.deepEqual(await votes(workflowId), []);
    assert.equal((await h.client.workflow.getHandle(workflowId).describe()).status.name, 'RUNNING');
    await h.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('a click on a replaced request changes nothing and says so', async () => {
    const { workflowId, message } = await twoPersonRefund();
    const shown = (await h.client.workflow.getHandle(workflowId).query(statusQuery)).pendingApproval!;
    const res = (await h.sb.control('/slack/click', {
      user: 'U0FIN0002',
      channel: message.channel,
      ts: message.ts,
      actionId: 'billing_approve',
      value: encodeButtonValue({ w: workflowId, r: 'an-older-request', a: 'approve' }),
    })) as { status: number };
    assert.equal(res.status, 200);
    const said = await eventually('the private answer', async () => (await ephemerals()).find((e) => e.user === 'U0FIN0002'));
    assert.match(said.text, /replaced|no longer open|changed nothing/i);
    assert.deepEqual(await votes(workflowId), []);
    assert.equal((await h.client.workflow.getHandle(workflowId).query(statusQuery)).pendingApproval?.requestId, shown.requestId);
    await h.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('the same approver clicking twice at the same moment is one vote; the request still waits for a second person', async () => {
    const { workflowId, message } = await twoPersonRefund();
    const [a, b] = await Promise.all([h.click('U0FIN0001', message, 'billing_approve'), h.click('U0FIN0001', message, 'billing_approve')]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    await eventually('the vote', async () => ((await votes(workflowId)).length > 0 ? true : undefined));
    assert.deepEqual(
      (await votes(workflowId)).map((v) => v.actor.id),
      ['U0FIN0001'],
    );
    const s = await h.client.workflow.getHandle(workflowId).query(statusQuery);
    assert.equal(s.pendingApproval?.required, 2);
    assert.equal(
      (await h.sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'))).length,
      0,
      'no money yet',
    );
    // The second approver completes it: one RefundReceipt.
    assert.equal((await h.click('U0FIN0002', message, 'billing_approve')).status, 200);
    const done = await h.client.workflow.getHandle(workflowId).result();
    assert.equal((done as { status: string }).status, 'completed');
    assert.equal((await h.sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'))).length, 1);
  });
  it("a refused click (an altered amount on the button) never answers for the same approver's real click", async () => {
    const { workflowId, message } = await twoPersonRefund();
    const real = message.blocks
      .flatMap((b) => (b as { elements?: { action_id?: string; value?: string }[] }).elements ?? [])
      .find((e) => e.action_id === 'billing_approve')?.value;
    const value = decodeButtonValue(real);
    assert.ok(value?.s, 'the Approve button carries its subject');
    // Same request, same person, same action: only the amount differs (someone replays the click with an edited value).
    const altered = encodeButtonValue({ ...value, s: { ...value.s, m: value.s.m + 100_00 } });
    const res = (await h.sb.control('/slack/click', {
      user: 'U0FIN0001',
      channel: message.channel,
      ts: message.ts,
      actionId: 'billing_approve',
      value: altered,
    })) as { status: number };
    assert.equal(res.status, 200);
    await eventually('the private refusal', async () => (await ephemerals()).find((e) => e.user === 'U0FIN0001'));
    assert.deepEqual(await votes(workflowId), []);
    // The approver's real click on the same request counts (before the fix Temporal answered it with
    // the refusal recorded under the same update id).
    assert.equal((await h.click('U0FIN0001', message, 'billing_approve')).status, 200);
    await eventually('the real vote', async () => ((await votes(workflowId)).length > 0 ? true : undefined));
    assert.deepEqual(
      (await votes(workflowId)).map((v) => v.actor.id),
      ['U0FIN0001'],
    );
    await h.client.workflow.getHandle(workflowId).terminate('test done');
  });
});
