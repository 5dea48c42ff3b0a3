/**
 * The finance policy a case is held to, and the durations it runs with.
 *
 * The money policy (who approves, per-currency limits, automation rules) is the worker's
 * configuration at the moment it is applied: the workflow asks for it through a local activity when
 * it routes a case, when a decision arrives and when money moves, and the history records the
 * version it got. It is never part of a workflow's input, so whoever can start a workflow cannot
 * choose its approvers or limits, and an approver removed from the configuration stops counting
 * for cases that are already waiting.
 *
 * Durations are inputs (tests run in seconds what production waits days for); changing them moves
 * no money.
 */

/** Per-currency amounts in minor units of that currency (ISO 4217 exponent), keyed by currency code. */
export type PerCurrency = Readonly<Record<string, number>>;

export interface MoneyPolicy {
  /** Short hash of everything below: which policy a decision or a money movement was checked against. */
  version: string;
  /** Refunds at or below this may be automated, if every other rule allows it. A currency not listed is never automated. */
  refundAutomationLimits: PerCurrency;
  /** Above this two different approvers are needed. A currency not listed always needs two. */
  twoPersonThresholds: PerCurrency;
  /** Minimum intent confidence for automation (0..1). */
  automationMinConfidence: number;
  /** Refund reasons that may be automated. */
  automatableRefundReasons: string[];
  /** Slack user ids whose approvals count. */
  approvers: string[];
  /** Second-tier approvers, added when a request escalates. */
  secondTierApprovers: string[];
  /** Slack channel for finance approvals and alerts. */
  financeChannel: string;
  /**
   * The window of the running totals that decide an approval's tier (ms): refunds and credits
   * settled or pending on the customer within it count with the request.
   */
  runningTotalWindowMs: number;
}

/** Durations a case runs with, in milliseconds. Part of the case input. */
export interface CaseTimings {
  reminderIntervalMs: number;
  escalateAfterMs: number;
  approvalTimeoutMs: number;
  /** Payment blocker: time to an "I'm on it" before escalation. */
  ackSlaMs: number;
  /** Default wait when a call names no follow-up deadline (renewals, collections). */
  defaultFollowUpMs: number;
}

/** Who may decide a request now: the first tier, plus the second tier once it escalated. */
export function eligibleApprovers(policy: Pick<MoneyPolicy, 'approvers' | 'secondTierApprovers'>, escalated: boolean): string[] {
  return [...new Set([...policy.approvers, ...(escalated ? policy.secondTierApprovers : [])].filter(Boolean))];
}
