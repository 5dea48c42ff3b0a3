/**
 * The money activity checks the intake's signature again (issue 21, signed intake): a workflow
 * that decided to automate on facts the API did not sign (a bug, a forged start, a patched build)
 * still moves no money, and nothing is reserved in the ledger. Real activities over the sandbox's
 * QuickBooks and the run's PostgreSQL ledger.
 */
import assert from 'node:assert/strict';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { activitiesOver, runOnce } from './helpers';
import { attestCaseFacts } from '../../src/proofs/case-facts';
import { TEST_DECISION_KEY } from '../support/policy';
import type { MoneyOrder } from '../../src/activities/money-contract';

describe('the money activity verifies the signed facts again before automated money moves', () => {
  let sb: TestSandbox;
  let acts: ReturnType<typeof activitiesOver>;
  before(async () => {
    sb = await startSandbox();
    acts = activitiesOver(sb.clients);
  });
  after(() => sb.close());

  const workflowId = 'case-refund_request-facts-1';
  const facts = {
    caseType: 'refund_request' as const,
    call: { callId: 'facts-1' },
    fields: {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1002',
      amount: { amountMinor: 2500, currency: 'USD' },
      refundReason: 'duplicate_charge',
    },
    intentConfidence: 0.95,
    suppressed: [],
  };
  const order = (input: Record<string, unknown>): MoneyOrder => ({
    step: 'refund.record',
    kind: 'refund_receipt',
    customerId: '101',
    amount: { amountMinor: 2500, currency: 'USD' },
    invoiceId: '1002',
    invoiceNumber: 'INV-1002',
    route: 'quickbooks',
    authority: { kind: 'automation', input: input as never, vip: false },
  });

  it('refuses unsigned and altered facts, reserves nothing; signed facts reserve', async () => {
    const unsigned = await runOnce(acts.reserveMoney, order({ ...facts, factsRequired: true }), workflowId);
    assert.equal(unsigned.status, 'refused');
    assert.match(unsigned.status === 'refused' ? unsigned.reason : '', /did not come signed from the call intake \(unsigned\)/);

    const attestation = attestCaseFacts(TEST_DECISION_KEY, workflowId, facts);
    const altered = { ...facts, fields: { ...facts.fields, invoiceNumber: 'INV-1003' }, attestation, factsRequired: true };
    const bad = await runOnce(acts.reserveMoney, order(altered), workflowId);
    assert.equal(bad.status, 'refused');
    assert.match(bad.status === 'refused' ? bad.reason : '', /bad_mac/);
    assert.deepEqual(await acts.ledger.entries(sb.clients.quickbooks.realmId), [], 'nothing reserved');

    const good = await runOnce(acts.reserveMoney, order({ ...facts, attestation, factsRequired: true }), workflowId);
    assert.equal(good.status, 'reserved', JSON.stringify(good));
  });
});
