import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, testClient } from '../support/temporal';
import { attested, caseInput } from '../workflows/helpers';
import { WORKFLOW_TYPE } from '../../src/domain/case';
import type { CaseState } from '../../src/domain/case-state';

describe('real activities on a real worker against the sandbox', function () {
  this.timeout(90_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  before(async () => {
    sb = await startSandbox();
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'e2e' });
  });
  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  it('records an automated refund once in QuickBooks when Temporal retries after the response was lost', async () => {
    await sb.faults('quickbooks', { dropNext: 1 });
    const input = caseInput('refund_request', {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1002',
      amount: { amountMinor: 2500, currency: 'USD' },
      refundReason: 'duplicate_charge',
      customerEmail: 'billing@acme.example',
    });
    const workflowId = `case-refund_request-${randomUUID()}`;
    const handle = await client.workflow.start(WORKFLOW_TYPE.refund_request, {
      args: [attested(input, workflowId)],
      taskQueue: worker.taskQueue,
      workflowId,
    });
    const state = (await handle.result()) as CaseState;
    assert.equal(state.status, 'completed');
    const posts = await sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'));
    // The first write was applied but its answer lost; the activity then found its own record by
    // the ledger entry's DocNumber and settled on it, so it never sent the write again.
    assert.equal(posts.length, 1, 'one write; the lost answer was recovered by a read, not a second write');
    assert.equal(posts[0].dropped, true);
    const receipts = (await sb.control('/quickbooks/entities/RefundReceipt')) as { Id: string; TotalAmt: number; DocNumber: string }[];
    assert.deepEqual(
      receipts.map((r) => r.TotalAmt),
      [25],
    );
    const [entry] = await worker.ledger.entries(sb.clients.quickbooks.realmId);
    assert.deepEqual(
      [entry.state, entry.settledMinor, entry.recordId, entry.ref],
      ['settled', 2500, receipts[0].Id, receipts[0].DocNumber],
      'the ledger settled on the record the lost answer had written',
    );
  });
});
