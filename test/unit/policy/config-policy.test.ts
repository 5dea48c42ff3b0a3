import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../../src/config/load';

const issues = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
};

describe('configuration of the money policy', () => {
  it('reads per-currency limits in each currency own minor units, with a version', () => {
    const c = loadConfig({ REFUND_AUTOMATION_LIMITS: 'USD:5000, jpy:5000', TWO_PERSON_THRESHOLDS: 'USD:100000,JPY:150000,KWD:300000' });
    assert.deepEqual(c.moneyPolicy.refundAutomationLimits, { JPY: 5000, USD: 5000 });
    assert.deepEqual(c.moneyPolicy.twoPersonThresholds, { JPY: 150000, KWD: 300000, USD: 100000 });
    assert.match(c.moneyPolicy.version, /^[0-9a-f]{12}$/);
    assert.notEqual(loadConfig({ APPROVERS: 'U1' }).moneyPolicy.version, loadConfig({ APPROVERS: 'U2' }).moneyPolicy.version);
    assert.equal(
      loadConfig({ APPROVERS: 'U1,U2' }).moneyPolicy.version,
      loadConfig({ APPROVERS: 'U2, U1' }).moneyPolicy.version,
      'order does not change the version',
    );
  });

  it('refuses an automation limit above the two-person threshold of its currency, or with no threshold', () => {
    assert.match(
      issues({ REFUND_AUTOMATION_LIMITS: 'USD:200000', TWO_PERSON_THRESHOLDS: 'USD:100000' }).join('\n'),
      /USD 200000 is above its two-person threshold 100000/,
    );
    assert.match(
      issues({ REFUND_AUTOMATION_LIMITS: 'USD:5000,EUR:5000', TWO_PERSON_THRESHOLDS: 'USD:100000' }).join('\n'),
      /EUR has an automation limit but no TWO_PERSON_THRESHOLDS entry/,
    );
  });

  it('refuses malformed entries, unknown currencies and the old single-currency variables', () => {
    assert.match(issues({ REFUND_AUTOMATION_LIMITS: 'USD=5000' }).join('\n'), /REFUND_AUTOMATION_LIMITS: expected CUR:minor_units/);
    assert.match(issues({ REFUND_AUTOMATION_LIMITS: 'XXY:5000' }).join('\n'), /REFUND_AUTOMATION_LIMITS/);
    assert.match(issues({ REFUND_AUTOMATION_LIMITS: 'USD:1.5' }).join('\n'), /REFUND_AUTOMATION_LIMITS/);
    assert.match(issues({ REFUND_AUTOMATION_LIMIT_MINOR: '5000' }).join('\n'), /replaced by per-currency REFUND_AUTOMATION_LIMITS/);
    assert.match(issues({ TWO_PERSON_THRESHOLD_MINOR: '100000' }).join('\n'), /replaced by per-currency TWO_PERSON_THRESHOLDS/);
  });

  it('refuses reminder settings whose history would approach Temporal limits', () => {
    assert.match(
      issues({ APPROVAL_REMINDER_INTERVAL: '1m', APPROVAL_TIMEOUT: '30d' }).join('\n'),
      /reminders per request is more than 500/,
    );
    assert.deepEqual(issues({ APPROVAL_REMINDER_INTERVAL: '4h', APPROVAL_TIMEOUT: '30d' }), []);
    assert.match(issues({ APPROVAL_ESCALATE_AFTER: '4d', APPROVAL_TIMEOUT: '3d' }).join('\n'), /APPROVAL_ESCALATE_AFTER/);
  });

  it('requires a decision signing key in production', () => {
    assert.match(issues({ NODE_ENV: 'production' }).join('\n'), /DECISION_SIGNING_KEY: required in production/);
    assert.match(issues({ DECISION_SIGNING_KEY: 'short' }).join('\n'), /DECISION_SIGNING_KEY/);
  });
});
