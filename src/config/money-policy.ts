/**
 * The finance policy the worker applies (docs/product.md §5 and §7), from the environment: per-currency
 * automation limits and two-person thresholds, approvers, the finance channel, the running-total
 * window; its version is a hash of its canonical JSON, so history can say which rules applied.
 * Development falls back to the sandbox's seeded people; anywhere else they must be set.
 */
import { createHash } from 'node:crypto';
import { ACCEPTED_CURRENCIES } from '../domain/currencies';
import { CURRENCY_CODE } from '../domain/money';
import type { MoneyPolicy, PerCurrency } from '../domain/policy';
import { commaList, type Env } from './schema';

/**
 * Who approves and where, in development only: the sandbox's seeded finance people and channel.
 * Anywhere else (production, test, staging) a missing value refuses start-up by name: a service
 * that fell back to these would wait on people who do not exist, or worse, on whoever holds the ids.
 */
export const DEV_PEOPLE = {
  APPROVERS: 'U0FIN0001,U0FIN0002',
  SECOND_TIER_APPROVERS: 'U0CFO0001',
  SLACK_FINANCE_CHANNEL: 'C0FINANCE',
} as const;

/** `USD:5000,JPY:5000` -> { USD: 5000, JPY: 5000 }; each problem becomes a start-up issue naming the variable. */
export function perCurrency(name: string, value: string, issues: string[]): PerCurrency {
  const out: Record<string, number> = {};
  for (const item of commaList(value)) {
    const m = /^([A-Za-z]{3})\s*:\s*(\d+)$/.exec(item);
    const currency = m?.[1].toUpperCase();
    if (!m || !currency || !CURRENCY_CODE.test(currency) || !ACCEPTED_CURRENCIES.has(currency)) {
      issues.push(`${name}: expected CUR:minor_units entries such as USD:5000, got "${item}"`);
      continue;
    }
    if (currency in out) issues.push(`${name}: ${currency} is listed twice`);
    out[currency] = Number(m[2]);
  }
  return out;
}

/** The default window of the running totals behind an approval's tier: a week. */
export const DEFAULT_RUNNING_TOTAL_WINDOW_MS = 7 * 86_400_000;

export function buildMoneyPolicy(
  p: Omit<MoneyPolicy, 'version' | 'runningTotalWindowMs'> & { runningTotalWindowMs?: number },
): MoneyPolicy {
  const sorted = (r: PerCurrency) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  const canonical = {
    refundAutomationLimits: sorted(p.refundAutomationLimits),
    twoPersonThresholds: sorted(p.twoPersonThresholds),
    automationMinConfidence: p.automationMinConfidence,
    automatableRefundReasons: [...p.automatableRefundReasons].sort(),
    approvers: [...p.approvers].sort(),
    secondTierApprovers: [...p.secondTierApprovers].sort(),
    financeChannel: p.financeChannel,
    runningTotalWindowMs: p.runningTotalWindowMs ?? DEFAULT_RUNNING_TOTAL_WINDOW_MS,
  };
  const version = createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 12);
  return { ...canonical, version };
}

/** The policy the environment sets; `duration` reads MONEY_RUNNING_TOTAL_WINDOW (and records its issue). */
export function moneyPolicyFromEnv(e: Env, issues: string[], duration: (name: keyof Env) => number): MoneyPolicy {
  const people = (name: keyof typeof DEV_PEOPLE, what: string): string => {
    const v = e[name]?.trim();
    if (v) return v;
    if (e.NODE_ENV === 'development') return DEV_PEOPLE[name];
    issues.push(`${name}: required outside development (${what}); the sandbox's default applies only with NODE_ENV=development`);
    return '';
  };
  return buildMoneyPolicy({
    refundAutomationLimits: perCurrency('REFUND_AUTOMATION_LIMITS', e.REFUND_AUTOMATION_LIMITS, issues),
    twoPersonThresholds: perCurrency('TWO_PERSON_THRESHOLDS', e.TWO_PERSON_THRESHOLDS, issues),
    automationMinConfidence: e.AUTOMATION_MIN_CONFIDENCE,
    automatableRefundReasons: commaList(e.AUTOMATABLE_REFUND_REASONS),
    approvers: commaList(people('APPROVERS', 'Slack user ids whose approvals count')),
    secondTierApprovers: commaList(people('SECOND_TIER_APPROVERS', 'Slack user ids a request escalates to')),
    financeChannel: people('SLACK_FINANCE_CHANNEL', 'the Slack channel id for approvals and alerts'),
    runningTotalWindowMs: duration('MONEY_RUNNING_TOTAL_WINDOW'),
  });
}
