import assert from 'node:assert/strict';
import { currencyExponent, formatMoney, toMajorDecimal, toMinorUnits } from '../../../src/domain/money';

describe('money: minor units by ISO 4217 exponent', () => {
  it('knows 0, 2, 3 and 4 decimal currencies', () => {
    assert.equal(currencyExponent('JPY'), 0);
    assert.equal(currencyExponent('KRW'), 0);
    assert.equal(currencyExponent('USD'), 2);
    assert.equal(currencyExponent('EUR'), 2);
    assert.equal(currencyExponent('KWD'), 3);
    assert.equal(currencyExponent('BHD'), 3);
    assert.equal(currencyExponent('CLF'), 4);
    assert.throws(() => currencyExponent('usd'), /ISO 4217/);
    assert.throws(() => currencyExponent('DOLLARS'), /ISO 4217/);
  });

  it('shows JPY without decimals, KWD with three, and groups thousands', () => {
    assert.equal(formatMoney(5000, 'JPY'), 'JPY 5,000');
    assert.equal(formatMoney(4999, 'KWD'), 'KWD 4.999');
    assert.equal(formatMoney(45000, 'USD'), 'USD 450.00');
    assert.equal(formatMoney(150000, 'USD'), 'USD 1,500.00');
    assert.equal(formatMoney(5, 'USD'), 'USD 0.05');
    assert.equal(formatMoney(-2550, 'EUR'), 'EUR -25.50');
    assert.equal(formatMoney(0, 'KWD'), 'KWD 0.000');
  });

  it('converts to and from the decimal strings APIs send', () => {
    assert.equal(toMajorDecimal(5000, 'JPY'), '5000');
    assert.equal(toMajorDecimal(4999, 'KWD'), '4.999');
    assert.equal(toMajorDecimal(7, 'KWD'), '0.007');
    assert.equal(toMinorUnits('5000', 'JPY'), 5000);
    assert.equal(toMinorUnits(4.999, 'KWD'), 4999);
    assert.equal(toMinorUnits('120.50', 'USD'), 12050);
    assert.throws(() => toMinorUnits('50.5', 'JPY'), /more decimal places than JPY allows/);
    assert.throws(() => toMinorUnits('4.9995', 'KWD'), /more decimal places/);
    assert.equal(toMinorUnits('4.9995', 'KWD', 'half-up'), 5000);
    assert.equal(toMinorUnits('0.316285', 'USD', 'floor'), 31);
    assert.equal(toMinorUnits(0.1 + 0.2, 'USD', 'half-up'), 30);
  });

  it('round-trips every amount for each exponent', () => {
    for (const c of ['JPY', 'USD', 'KWD', 'CLF'])
      for (const n of [0, 1, 9, 10, 99, 100, 101, 123456789]) assert.equal(toMinorUnits(toMajorDecimal(n, c), c), n);
  });
});
