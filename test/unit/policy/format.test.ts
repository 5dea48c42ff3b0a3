import assert from 'node:assert/strict';
import { formatMoney } from '../../../src/domain/money';
import { humanDuration } from '../../../src/policy/format';

describe('display formats', () => {
  it('formats minor units exactly, without floats', () => {
    assert.equal(formatMoney(12000, 'USD'), 'USD 120.00');
    assert.equal(formatMoney(5, 'EUR'), 'EUR 0.05');
    assert.equal(formatMoney(-150001, 'USD'), 'USD -1,500.01');
    assert.equal(formatMoney(2_000_000_001, 'USD'), 'USD 20,000,000.01');
  });

  it('says durations the way people read them', () => {
    assert.equal(humanDuration(72 * 3_600_000), '3 days');
    assert.equal(humanDuration(4 * 3_600_000), '4 hours');
    assert.equal(humanDuration(15 * 60_000), '15 minutes');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(250), '250 ms');
  });
});
