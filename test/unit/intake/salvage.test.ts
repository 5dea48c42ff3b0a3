/** Issue 24 §1 and §9: what the intake keeps of a call with unreadable fields, and when intents share a field. Pure. */
import assert from 'node:assert/strict';
import { salvageCall } from '../../../src/intake/salvage';
import { sharedFields } from '../../../src/intake/shared-fields';
import { intakeReviewLines, notesAfterTriage } from '../../../src/policy/intake-review';

const base = (analysis: Record<string, unknown>) => ({
  id: 'call_unit1',
  status: 'completed',
  transcript: 'caller: refund please',
  post_call_analysis: { billing_intent: 'refund_request', account_id: 'ACME-001', invoice_number: 'INV-1002', ...analysis },
});

describe('salvaging a call with unreadable fields', () => {
  it('keeps what can be read and names each field with what DialNexa said', () => {
    const r = salvageCall(base({ customer_email: 'ar@hooli', currency: 'euros', amount: '450.00' }), ['payload', 'call']);
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    assert.deepEqual(r.call.post_call_analysis?.fields, { accountId: 'ACME-001', invoiceNumber: 'INV-1002' });
    assert.deepEqual(r.call.post_call_analysis?.intents, ['refund_request']);
    assert.deepEqual(intakeReviewLines({ unreadable: r.unreadable }), [
      "DialNexa's `customer_email` could not be read (must be an email address); it is a contact detail, so it is not repeated here",
      'DialNexa said `currency: euros`; we could not read it (must be an ISO 4217 currency code, got "EUROS")',
      'DialNexa said `amount: 450.00`; we could not read it (no readable currency to read it in)',
    ]);
  });

  it('quotes nothing sensitive and nothing Slack would act on', () => {
    const r = salvageCall(base({ amount: 'card 4111 1111 1111 1111 cvv 123', due_date: '<!channel>' }), ['payload', 'call']);
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    const text = JSON.stringify(r.unreadable);
    assert.doesNotMatch(text, /4111|123|<!channel>/);
    assert.deepEqual(r.found, ['card_number']);
  });

  it('refuses only a call without a usable id', () => {
    const r = salvageCall({ ...base({}), id: '../../etc' }, ['payload', 'call']);
    assert.equal(r.kind, 'refused');
    if (r.kind === 'refused')
      assert.deepEqual(
        r.errors.map((e) => e.field),
        ['payload.call.id'],
      );
    const odd = salvageCall({ ...base({}), post_call_analysis: 'refund please', duration: 'long' }, ['payload', 'call']);
    assert.equal(odd.kind, 'ok');
    if (odd.kind === 'ok') assert.deepEqual(odd.unreadable.map((u) => u.field).sort(), ['duration', 'post_call_analysis']);
  });

  it('a case chosen in triage no longer reviews the intent, but still the other fields', () => {
    assert.deepEqual(
      notesAfterTriage({ unknownIntents: ['upgrade'], unreadable: [{ field: 'billing_intent', said: 'upgrade', why: 'x' }] }),
      undefined,
    );
    assert.deepEqual(notesAfterTriage({ unreadable: [{ field: 'currency', said: 'euros', why: 'x' }] }), {
      unreadable: [{ field: 'currency', said: 'euros', why: 'x' }],
    });
  });
});

describe('fields several intents share', () => {
  const texts = ['caller: please resend INV-1001, and refund 300 dollars on INV-1003'];
  it('names the invoice field when the call mentions more than one invoice', () => {
    assert.deepEqual(sharedFields(['invoice_resend', 'refund_request'], { invoiceNumber: 'INV-1003' }, texts), [
      { field: 'invoice_number', value: 'INV-1003', mentioned: ['INV-1001', 'INV-1003'], intents: ['invoice_resend', 'refund_request'] },
    ]);
  });
  it('names the amount when the call says more than one amount', () => {
    const shared = sharedFields(['refund_request', 'charge_dispute'], { amount: { amountMinor: 30000, currency: 'USD' } }, [
      'refund $300 and dispute the 1,250.00 USD charge',
    ]);
    assert.deepEqual(
      shared.map((f) => [f.field, f.mentioned]),
      [['amount', ['USD 300.00', 'USD 1,250.00']]],
    );
  });
  it('holds nothing for one intent, or for two intents about the one invoice and amount the call names', () => {
    assert.deepEqual(sharedFields(['refund_request'], { invoiceNumber: 'INV-1003' }, texts), []);
    assert.deepEqual(
      sharedFields(['refund_request', 'charge_dispute'], { invoiceNumber: 'INV-1002', amount: { amountMinor: 45000, currency: 'USD' } }, [
        'charged twice for INV-1002, 450 dollars each time',
        'asks for a 450.00 USD refund on INV-1002',
      ]),
      [],
    );
  });
});
