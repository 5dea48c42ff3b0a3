import assert from 'node:assert/strict';
import { buildBillingNote, BILLING_NOTE_MAX_CHARS, type BillingNoteInput } from '../../../src/policy/billing-note';

const base: BillingNoteInput = {
  request: 'Refund the duplicate charge on INV-1002.',
  facts: ['Caller said they were charged twice', 'Call back on +1 415 555 0100 or jo@acme.example'],
  record: { system: 'quickbooks', object: 'Invoice', id: '1002', url: 'https://qbo.example/invoice/1002' },
  owner: 'Dana Finance',
  nextStep: 'Approve or reject the refund',
  nextStepDeadline: '2026-11-29',
  status: 'awaiting_approval',
  urgency: 'normal',
  links: { callId: 'call-42', transcriptUrl: 'https://dialnexa.example/t/42', ticket: 'https://zd.example/tickets/7' },
  suppressed: ['card_number', 'card_number', 'bank_details'],
  contact: { name: 'Jo Smith', email: 'jo@acme.example', phone: '+1 415 555 0100' },
};

describe('billing note builder', () => {
  it('carries request, record, owner and next step, status, links and markers', () => {
    const note = buildBillingNote(base, 'slack');
    assert.match(note, /^Request: Refund the duplicate charge on INV-1002\./);
    assert.match(note, /Record: quickbooks Invoice 1002 https:\/\/qbo\.example\/invoice\/1002/);
    assert.match(note, /Owner: Dana Finance \| Next step: Approve or reject the refund \(by 2026-11-29\)/);
    assert.match(note, /Status: Awaiting approval \| Urgency: normal/);
    assert.ok(!note.includes('awaiting_approval'), 'the status reads as words, not its code');
    assert.match(note, /DialNexa call call-42 \| transcript https:\/\/dialnexa\.example\/t\/42/);
    assert.match(note, /Suppressed: \[card number removed\] \[bank details removed\]$/);
  });

  it('keeps contact details out of Slack, QuickBooks and Temporal, even inside facts', () => {
    for (const dest of ['slack', 'quickbooks', 'temporal'] as const) {
      const note = buildBillingNote(base, dest);
      assert.doesNotMatch(note, /jo@acme\.example|555 0100|Jo Smith/, dest);
      assert.match(note, /\[email omitted\]/);
      assert.match(note, /\[phone omitted\]/);
    }
  });

  it('puts the contact into the Zendesk internal note, which needs it', () => {
    assert.match(buildBillingNote(base, 'zendesk'), /Contact: Jo Smith, jo@acme\.example, \+1 415 555 0100/);
  });

  it('stays within 1,500 characters and keeps the markers when facts overflow', () => {
    const note = buildBillingNote({ ...base, facts: Array.from({ length: 100 }, (_, i) => `fact number ${i} `.repeat(5)) }, 'slack');
    assert.ok(note.length <= BILLING_NOTE_MAX_CHARS, String(note.length));
    assert.match(note, /Suppressed: \[card number removed\] \[bank details removed\]$/);
    assert.match(note, /Links: DialNexa call call-42/);
  });

  it('keeps the markers even when the request itself is absurdly long', () => {
    const note = buildBillingNote({ ...base, request: 'x'.repeat(5000) }, 'temporal');
    assert.ok(note.length <= BILLING_NOTE_MAX_CHARS);
    assert.match(note, /\[card number removed\] \[bank details removed\]$/);
  });

  it('leaves invoice numbers and amounts alone when scrubbing', () => {
    const note = buildBillingNote({ ...base, facts: ['INV-1002 for USD 1,250.00 on 2026-11-01'] }, 'slack');
    assert.match(note, /INV-1002 for USD 1,250\.00 on 2026-11-01/);
  });

  it('leaves Skyfire token ids and other ids alone, still removes phone numbers next to them (issue 24: a token id was mangled in QuickBooks)', () => {
    const token = '12345678-1234-5678-9012-345678901234';
    const mostlyLetters = '3f2a1b4c-9d8e-4f70-8123-4567890abcde';
    const note = buildBillingNote(
      {
        ...base,
        facts: [
          `Skyfire pay token ${token} reserved`,
          `KYA token ${mostlyLetters}; caller at +1 (415) 555-0100`,
          'request id req_20261206-5551234',
        ],
      },
      'quickbooks',
    );
    assert.ok(note.includes(`Skyfire pay token ${token} reserved`), note);
    assert.ok(note.includes(`KYA token ${mostlyLetters}; caller at [phone omitted]`), note);
    assert.ok(note.includes('req_20261206-5551234'), note);
  });

  it('shows the owner it is given, by name', () => {
    assert.match(buildBillingNote(base, 'zendesk'), /Owner: Dana Finance \| Next step/);
  });
});
