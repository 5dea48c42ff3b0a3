import assert from 'node:assert/strict';
import { MUST_CATCH, MUST_PASS } from './suppression-corpus';
import { abaValid, ibanValid, luhnValid } from '../../../src/intake/number-checks';
import { CARD_DATA_MARKERS, MARKERS, suppressCall, suppressText, TRANSCRIPT_MAX_CHARS } from '../../../src/intake/suppression';
import { callSchema } from '../../../src/intake/schema';

const digitsOf = (s: string) => s.replace(/[^0-9A-Za-z]/g, '');

describe('suppression detectors', () => {
  it('checks the corpus is big enough to mean something (>= 100 each way)', () => {
    assert.ok(MUST_CATCH.length >= 100, `only ${MUST_CATCH.length} must-catch strings`);
    assert.ok(MUST_PASS.length >= 100, `only ${MUST_PASS.length} must-pass strings`);
  });

  it('catches every sensitive string in the corpus, with the right category, and leaves no trace of it', () => {
    const failures: string[] = [];
    for (const c of MUST_CATCH) {
      const r = suppressText(c.text);
      const secretGone = !digitsOf(r.text).includes(digitsOf(c.secret)) && !r.text.includes(c.secret);
      // Card data besides the number (security code, expiry, PIN, track) has markers of its own.
      const markers = [MARKERS[c.category], ...(c.category === 'card_number' ? Object.values(CARD_DATA_MARKERS) : [])];
      if (!r.found.includes(c.category) || !secretGone || !markers.some((m) => r.text.includes(m)))
        failures.push(`${JSON.stringify(c.text)} -> ${JSON.stringify(r)}`);
    }
    assert.deepEqual(failures, []);
  });

  it('leaves invoice numbers, phone numbers, amounts, dates, order ids and call ids untouched', () => {
    const failures = MUST_PASS.map((t) => ({ t, r: suppressText(t) })).filter(({ t, r }) => r.text !== t || r.found.length > 0);
    assert.deepEqual(
      failures.map((f) => `${f.t} -> ${f.r.text}`),
      [],
    );
  });

  it('validates the checksums it relies on', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(ibanValid('DE89370400440532013001'), false);
    assert.equal(abaValid('021000021'), true);
    assert.equal(abaValid('021000022'), false);
  });

  it('keeps the words around a finding so the note still reads', () => {
    assert.equal(suppressText('Card 4111 1111 1111 1111 was declined.').text, 'Card [card number removed] was declined.');
    assert.equal(suppressText('savings account number: 9876543210 please').text, 'savings account number: [bank details removed] please');
  });
});

describe('suppressing a whole call', () => {
  const parse = (call: Record<string, unknown>) => callSchema.parse({ id: 'call_supp_1', ...call });

  it('keeps links but strips what makes them credentials (pre-signed query, user info)', () => {
    const out = suppressCall(
      parse({
        recording_url:
          'https://rec.dialnexa.example/call_supp_1.mp3?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc123&X-Amz-Expires=604800&part=1',
        post_call_analysis: {
          billing_intent: 'invoice_resend',
          transcript_url: 'https://app.dialnexa.example/calls/call_supp_1/transcript?token=s3cr3t',
          crm_url: 'https://user:pw@crm.example/contacts/501?tab=deals',
        },
      }),
    );
    assert.equal(out.call.recordingUrl, 'https://rec.dialnexa.example/call_supp_1.mp3?part=1');
    assert.equal(out.call.transcriptUrl, 'https://app.dialnexa.example/calls/call_supp_1/transcript');
    assert.equal(out.fields.crmUrl, 'https://crm.example/contacts/501?tab=deals');
  });

  it('scans every free-text field, the summary and the transcript; drops identifiers that held a secret', () => {
    const card = '4111 1111 1111 1111';
    const out = suppressCall(
      parse({
        transcript: `caller: my card is ${card}`,
        summary: `Caller read card ${card} aloud.`,
        post_call_analysis: {
          billing_intent: 'refund_request',
          customer_name: `Jane ${card}`,
          refund_reason: `charged twice on ${card}`,
          dispute_reason: 'IBAN DE89 3704 0044 0532 0130 00',
          escalation_reason: 'SSN 123-45-6789 given',
          promised_next_step: `call back about ${card}`,
          payment_status: `card ${card}`,
          finance_owner: `owner ${card}`,
          account_id: '4111111111111111',
          invoice_number: 'INV-1001',
          new_billing_address: { line1: `1 Market St ${card}`, city: 'San Francisco', postal_code: '94105', country: 'us' },
        },
      }),
    );
    const json = JSON.stringify(out);
    assert.ok(!json.replace(/\s/g, '').includes('4111111111111111'), json);
    assert.ok(!json.includes('DE89') && !json.includes('123-45-6789'), json);
    assert.equal(out.fields.accountId, undefined, 'an account id that was a card number is dropped, not marked');
    assert.equal(out.fields.invoiceNumber, 'INV-1001');
    assert.equal(out.fields.refundReason, `charged twice on ${MARKERS.card_number}`);
    assert.equal(out.fields.newBillingAddress?.line1, `1 Market St ${MARKERS.card_number}`);
    assert.equal(out.fields.newBillingAddress?.country, 'US');
    assert.deepEqual(out.suppressed, ['card_number', 'bank_details', 'tax_identifier']);
  });

  it('with a private_document flag keeps only the links, not the text', () => {
    const out = suppressCall(
      parse({
        transcript: 'caller: reading my signed contract clause 4 ...',
        summary: 'Caller read the contract.',
        recording_url: 'https://rec.dialnexa.example/r/1',
        post_call_analysis: { sensitive_data: ['private_document'], transcript_url: 'https://app.dialnexa.example/t/1' },
      }),
    );
    assert.equal(out.call.transcript, MARKERS.private_document);
    assert.equal(out.call.summary, MARKERS.private_document);
    assert.equal(out.call.transcriptUrl, 'https://app.dialnexa.example/t/1');
    assert.equal(out.call.recordingUrl, 'https://rec.dialnexa.example/r/1');
    assert.deepEqual(out.suppressed, ['private_document']);
  });

  it('withholds the transcript when DialNexa flagged a category the detectors could not find in it', () => {
    const out = suppressCall(
      parse({ transcript: 'caller: it is four one one one and so on', post_call_analysis: { sensitive_data: 'card_number' } }),
    );
    assert.match(out.call.transcript ?? '', /^\[transcript withheld: DialNexa flagged card number/);
    assert.deepEqual(out.suppressed, ['card_number']);
  });

  it('caps the stored transcript and says it was cut', () => {
    const out = suppressCall(parse({ transcript: 'agent: hello. '.repeat(5000) }));
    assert.equal(out.call.transcript?.length, TRANSCRIPT_MAX_CHARS);
    assert.match(out.call.transcript ?? '', /transcript truncated/);
  });
});
