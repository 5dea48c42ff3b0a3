/**
 * The "Money returned" button through Slack (issue 24, finding 4): a customer who pays by bank
 * transfer is refunded by a person; the finance message's button is a decision like an approval.
 * Signed webhook -> the refund workflow -> the sandbox's Slack sends signed clicks to the API's
 * route -> the case's gate. A click by someone who is not an approver changes nothing and says so
 * privately; a finance approver's click settles the ledger entry, records the RefundReceipt and
 * only then tells the customer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { statusQuery } from '../../src/workflows/messages';
import { eventually, messagesOf, startHarness, type Harness, type SandboxSlackMessage } from './harness';

type Json = Record<string, unknown>;
const FIXTURES = path.join(__dirname, '../fixtures/calls');

describe('"Money returned" through Slack on a refund a person returns (signed interactions -> the case gate)', function () {
  this.timeout(120_000);
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h?.close());

  const ephemerals = async () =>
    ((await h.sb.control('/slack/state')) as { ephemerals?: { user: string; text: string }[] }).ephemerals ?? [];
  const buttonsOf = (m: SandboxSlackMessage) => JSON.stringify(m.blocks.filter((b) => b.type === 'actions'));

  it('a non-approver is refused privately; a finance approver confirms, then the receipt is recorded and the customer told', async () => {
    await h.sb.control('/hubspot/contacts/505/properties', { payment_platform: 'bank_transfer' });
    await h.sb.control('/quickbooks/invoices', { docNumber: 'INV-H901', accountId: 'HOOLI-005', totalMinor: 20000 });
    const body = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'refund_request.json'), 'utf8')) as {
      payload: { call: Json & { post_call_analysis: Json } };
    };
    const callId = `call_m${randomBytes(6).toString('hex')}`;
    Object.assign(body.payload.call, { id: callId });
    Object.assign(body.payload.call.post_call_analysis, {
      account_id: 'HOOLI-005',
      customer_email: 'ar@hooli.example',
      invoice_number: 'INV-H901',
      amount: '200.00',
      refund_reason: 'customer_request',
    });
    assert.equal((await h.post(body)).status, 202);
    const workflowId = caseWorkflowId(callId, 'refund_request');
    const handle = h.client.workflow.getHandle(workflowId);
    const approval = await eventually('the refund approval', async () =>
      messagesOf(await h.slackMessages(), workflowId).find((m) => buttonsOf(m).includes('Approve')),
    );
    assert.equal((await h.click('U0FIN0001', approval, 'billing_approve')).status, 200);
    const returned = await eventually('the "Money returned" request', async () =>
      messagesOf(await h.slackMessages(), workflowId).find((m) => buttonsOf(m).includes('Money returned')),
    );
    const waiting = await handle.query(statusQuery);
    assert.equal(waiting.pendingApproval?.kind, 'refund_returned');
    assert.equal((await h.sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'))).length, 0);

    assert.equal((await h.click('U0AGT0001', returned, 'billing_approve')).status, 200);
    const said = await eventually('the private refusal', async () => (await ephemerals()).find((e) => e.user === 'U0AGT0001'));
    assert.match(said.text, /not (authorized|an approver)/i);
    assert.deepEqual((await handle.query(statusQuery)).pendingApproval?.votes ?? [], []);

    assert.equal((await h.click('U0FIN0002', returned, 'billing_approve')).status, 200);
    const done = (await handle.result()) as { status: string; reason?: string };
    assert.equal(done.status, 'completed', done.reason);
    assert.equal((await h.sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'))).length, 1);
    const publicText = JSON.stringify(await h.sb.records('zendesk', (r) => r.method !== 'GET'));
    assert.match(publicText, /We returned USD 200\.00 to you through bank transfer/);
  });
});
