/**
 * Checks across variables that zod's per-variable schema cannot express: limits against
 * thresholds, reminders against the timeout, what production requires, keys that parse. Each
 * problem is a start-up issue naming the variable.
 */
import type { CaseTimings, MoneyPolicy } from '../domain/policy';
import { parseKeyringSpec } from '../temporal/codec';
import type { Env } from './schema';

/**
 * Reminders one approval request may send before its timeout. Each costs a timer and a Slack
 * activity (about ten history events); 500 keeps a request far below Temporal's 51,200-event limit.
 */
export const MAX_REMINDERS_PER_REQUEST = 500;

/** The money policy's own consistency: per-currency limits and thresholds, approvers, the retired single-number variables. */
export function moneyPolicyIssues(e: Env, env: NodeJS.ProcessEnv, moneyPolicy: MoneyPolicy, issues: string[]): void {
  for (const old of ['REFUND_AUTOMATION_LIMIT_MINOR', 'TWO_PERSON_THRESHOLD_MINOR'] as const) {
    // One number for every currency compared JPY with USD: refuse it rather than guess a currency.
    if (env[old] !== undefined)
      issues.push(
        `${old}: replaced by per-currency ${old === 'REFUND_AUTOMATION_LIMIT_MINOR' ? 'REFUND_AUTOMATION_LIMITS' : 'TWO_PERSON_THRESHOLDS'} (e.g. USD:5000,JPY:5000)`,
      );
  }
  for (const [currency, limit] of Object.entries(moneyPolicy.refundAutomationLimits)) {
    const threshold = moneyPolicy.twoPersonThresholds[currency];
    if (threshold === undefined)
      issues.push(`REFUND_AUTOMATION_LIMITS: ${currency} has an automation limit but no TWO_PERSON_THRESHOLDS entry`);
    else if (limit > threshold)
      issues.push(
        `REFUND_AUTOMATION_LIMITS: ${currency} ${limit} is above its two-person threshold ${threshold} (automation would skip a two-person approval)`,
      );
  }
  if (moneyPolicy.approvers.length === 0 && e.APPROVERS?.trim()) issues.push('APPROVERS: at least one Slack user id is required');
}

/** Approval timings, what production requires, the codec keys, the worker's deployment, Zendesk's agent. */
export function crossFieldIssues(e: Env, timings: CaseTimings, issues: string[]): void {
  if (timings.reminderIntervalMs > 0 && timings.approvalTimeoutMs / timings.reminderIntervalMs > MAX_REMINDERS_PER_REQUEST) {
    issues.push(
      `APPROVAL_TIMEOUT / APPROVAL_REMINDER_INTERVAL: ${Math.ceil(timings.approvalTimeoutMs / timings.reminderIntervalMs)} reminders per request is more than ${MAX_REMINDERS_PER_REQUEST}; each is several history events and a long wait would approach Temporal's history limit (raise the interval or shorten the timeout)`,
    );
  }
  if (timings.escalateAfterMs > timings.approvalTimeoutMs)
    issues.push('APPROVAL_ESCALATE_AFTER: longer than APPROVAL_TIMEOUT, so no request would ever escalate');
  if (e.NODE_ENV === 'production') {
    if (!e.DIALNEXA_WEBHOOK_SECRET) issues.push('DIALNEXA_WEBHOOK_SECRET: required in production');
    if (!e.LEDGER_DATABASE_URL) issues.push('LEDGER_DATABASE_URL: required in production (the money ledger, PostgreSQL)');
    if (!e.SLACK_SIGNING_SECRET) issues.push('SLACK_SIGNING_SECRET: required in production');
    if (!e.API_TOKEN) issues.push('API_TOKEN: required in production');
    if (!e.CODEC_KEYS) issues.push('CODEC_KEYS: required in production (payload encryption keys)');
    if (!e.DECISION_SIGNING_KEY)
      issues.push('DECISION_SIGNING_KEY: required in production (decisions are signed by the API and verified by the worker)');
    if (e.CODEC_ADMIT_LOCAL_UI) issues.push('CODEC_ADMIT_LOCAL_UI: development only; production decodes with a session or the API token');
  }
  if (e.CODEC_KEYS) {
    try {
      parseKeyringSpec(e.CODEC_KEYS, e.CODEC_ACTIVE_KEY_ID);
    } catch (err) {
      issues.push(`CODEC_KEYS: ${(err as Error).message}`);
    }
  } else if (e.CODEC_ACTIVE_KEY_ID) {
    issues.push('CODEC_ACTIVE_KEY_ID: set without CODEC_KEYS');
  }
  if (Boolean(e.WORKER_DEPLOYMENT_NAME) !== Boolean(e.WORKER_BUILD_ID))
    issues.push('WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID: set both (versioned worker) or neither');
  if (e.ZENDESK_API_TOKEN && !e.ZENDESK_EMAIL) issues.push('ZENDESK_EMAIL: required with ZENDESK_API_TOKEN');
}
