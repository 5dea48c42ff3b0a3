import assert from 'node:assert/strict';
import { runOnce } from './helpers';
import { stepKey, toDecimal, toMinor, toMinorFloor } from '../../src/activities/support';
import { qboRequestId } from '../../src/connectors/quickbooks';
import { buyerTagFor } from '../../src/activities/skyfire';

describe('activity support: keys and money', () => {
  it('derives idempotency keys from the workflow id and step: stable, distinct per step and per case', async () => {
    const key = (wf: string, step: string) => runOnce(async (s: string) => stepKey('zendesk', s), step, wf);
    assert.equal(await key('wf-a', 'ticket.open'), await key('wf-a', 'ticket.open'));
    assert.notEqual(await key('wf-a', 'ticket.open'), await key('wf-a', 'ticket.note'));
    assert.notEqual(await key('wf-a', 'ticket.open'), await key('wf-b', 'ticket.open'));
    await assert.rejects(key('wf-a', ''), /step must be/);
    const rid = qboRequestId(`case-refund_request-${'x'.repeat(200)}`, 'refund.record');
    assert.ok(rid.length <= 50);
    assert.equal(buyerTagFor('wf-1', 'refund.pay'), 'wf-1/refund.pay');
    assert.ok(buyerTagFor('w'.repeat(200), 'refund.pay').length <= 120);
  });

  it('converts decimal amounts to integer minor units by the currency exponent, without float drift', () => {
    assert.equal(toMinor(120, 'USD'), 12000);
    assert.equal(toMinor(0.1 + 0.2, 'USD'), 30);
    assert.equal(toMinor('899.00', 'USD'), 89900);
    assert.equal(toMinor('1.005', 'USD'), 101);
    assert.equal(toMinor(-25.5, 'USD'), -2550);
    assert.equal(toMinor(5000, 'JPY'), 5000);
    assert.equal(toMinor('4.999', 'KWD'), 4999);
    assert.equal(toMinorFloor('0.316285', 'USD'), 31);
    assert.equal(toDecimal(2500, 'USD'), '25.00');
    assert.equal(toDecimal(5, 'USD'), '0.05');
    assert.equal(toDecimal(5000, 'JPY'), '5000');
    assert.equal(toDecimal(4999, 'KWD'), '4.999');
    assert.throws(() => toDecimal(1.5, 'USD'), /integer/);
    assert.throws(() => toMinor('12,00', 'USD'), /not a decimal/);
  });
});
