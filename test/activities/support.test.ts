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

  it('converts decimal amounts to integer minor units without float drift', () => {
    assert.equal(toMinor(120), 12000);
    assert.equal(toMinor(0.1 + 0.2), 30);
    assert.equal(toMinor('899.00'), 89900);
    assert.equal(toMinor('1.005'), 101);
    assert.equal(toMinor(-25.5), -2550);
    assert.equal(toMinorFloor('0.316285'), 31);
    assert.equal(toDecimal(2500), '25.00');
    assert.equal(toDecimal(5), '0.05');
    assert.throws(() => toDecimal(1.5), /integer/);
    assert.throws(() => toMinor('12,00'), /not a decimal/);
  });
});
