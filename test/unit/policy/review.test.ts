import assert from 'node:assert/strict';
import { reviewReasons, ReviewReason } from '../../../src/policy/review';
import { checkRecipient } from '../../../src/policy/verified-email';
import { policy, refundInput } from './fixtures';

describe('review policy', () => {
  it('lets an explicit automation policy run a money action unattended', () => {
    assert.deepEqual(reviewReasons(refundInput(), { changesMoney: true, automationAllows: true }, policy), []);
  });

  it('reviews money, legal and commitment changes with every reason that applies', () => {
    const input = refundInput({ intentConfidence: 0.4, suppressed: ['bank_details'] }, { customerTier: 'vip' });
    assert.deepEqual(reviewReasons(input, { changesMoney: true }, policy), [
      ReviewReason.LowConfidence,
      ReviewReason.Sensitive,
      ReviewReason.Vip,
      ReviewReason.ChangesMoney,
    ]);
    assert.deepEqual(reviewReasons(refundInput(), { changesLegalRecord: true }, policy), [ReviewReason.ChangesLegalRecord]);
  });

  it('does not review sending a document to an address on file', () => {
    assert.deepEqual(reviewReasons(refundInput({ intentConfidence: 0.4 }), {}, policy), []);
    assert.deepEqual(reviewReasons(refundInput(), { unverifiedRecipient: true }, policy), [ReviewReason.UnverifiedRecipient]);
  });
});

describe('verified-email rule', () => {
  it('sends to the address on file when the caller names none', () => {
    assert.deepEqual(checkRecipient(undefined, [undefined, 'billing@acme.example']), { status: 'verified', to: 'billing@acme.example' });
  });

  it('accepts a requested address that is on file, whatever its case', () => {
    assert.deepEqual(checkRecipient(' Billing@ACME.example ', ['ap@other.example', 'billing@acme.example']), {
      status: 'verified',
      to: 'billing@acme.example',
    });
  });

  it('sends an address not on file to review', () => {
    assert.deepEqual(checkRecipient('me@gmail.example', ['billing@acme.example']), {
      status: 'unverified',
      requested: 'me@gmail.example',
      onFile: 'billing@acme.example',
    });
  });

  it('finds nobody when nothing is on file and nothing usable was asked', () => {
    assert.deepEqual(checkRecipient(undefined, [undefined, 'not-an-email']), { status: 'none' });
  });
});
