/**
 * The accepted currency codes are a pinned list (src/domain/currencies.ts), not whatever the ICU of
 * the Node in use lists: a Node whose Intl knows fewer (or more) currencies accepts the same ones.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ACCEPTED_CURRENCIES } from '../../../src/domain/currencies';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('accepted currency codes', () => {
  it('are ISO 4217-shaped, sorted and unique', () => {
    const codes = [...ACCEPTED_CURRENCIES];
    for (const c of codes) assert.match(c, /^[A-Z]{3}$/);
    assert.deepEqual(codes, [...codes].sort());
    assert.ok(codes.length >= 150 && ['USD', 'EUR', 'JPY', 'KWD', 'GBP'].every((c) => ACCEPTED_CURRENCIES.has(c)));
  });

  it("do not follow the running Node's ICU: with Intl listing only USD, EUR is still accepted and XYZ still refused (money policy and intake)", () => {
    const probe = `
      Intl.supportedValuesOf = () => ['USD'];
      const { perCurrency } = require('./src/config/money-policy.ts');
      const { postCallAnalysisSchema } = require('./src/intake/schema.ts');
      const issues = [];
      const limits = perCurrency('PROBE', 'EUR:5000,XYZ:1', issues);
      const intake = ['eur', 'XYZ'].map((currency) => postCallAnalysisSchema.safeParse({ currency }).success);
      process.stdout.write(JSON.stringify({ limits, issues, intake }));
    `;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(res.status, 0, res.stderr);
    const out = JSON.parse(res.stdout) as { limits: Record<string, number>; issues: string[]; intake: boolean[] };
    assert.deepEqual(out.intake, [true, false], 'a call extraction with EUR is accepted, with XYZ refused');
    assert.equal(out.limits.EUR, 5000);
    assert.equal(out.limits.XYZ, undefined);
    assert.equal(out.issues.length, 1);
    assert.match(out.issues[0], /XYZ/);
  });
});
