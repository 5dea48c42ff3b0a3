/**
 * Retry policies per activity group, written down rather than left to defaults. Pure data: the
 * workflows pass these to `proxyActivities`, the activities name their errors with
 * `ActivityErrorType` so the non-retryable ones stop retrying at once.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/common';

/**
 * Error type names (the `name` of the error classes activities throw). Connectors classify HTTP
 * failures into these; the workflow branches on them via `ActivityFailure.cause.type`.
 */
export const ActivityErrorType = {
  /** 400/422 and validation faults: the request itself is wrong; retrying cannot help. */
  Validation: 'ValidationError',
  /** 404 / QuickBooks 610: the object does not exist. */
  NotFound: 'NotFoundError',
  /** 401/403 after a token refresh: credentials or scopes are wrong. */
  Auth: 'AuthError',
  /** Skyfire 402 / balance below the amount: no token can be created. */
  InsufficientFunds: 'InsufficientFundsError',
  /** The recipient is not an email on file: a guard in the activity, never bypassed. */
  UnverifiedRecipient: 'UnverifiedRecipientError',
  /** QuickBooks 5010: re-read the SyncToken and try again (retryable). */
  StaleSyncToken: 'StaleSyncTokenError',
  /** A business rule of the system of record refused the write (e.g. QuickBooks 6140 duplicate DocNumber, 6210 closed period). */
  BusinessRule: 'BusinessRuleError',
  /** 429 with Retry-After (retryable). */
  RateLimited: 'RateLimitedError',
  /** 5xx, timeouts, connection resets (retryable). */
  Transient: 'TransientError',
} as const;
export type ActivityErrorType = (typeof ActivityErrorType)[keyof typeof ActivityErrorType];

/** Errors that stop retrying immediately: permanent by nature. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  ActivityErrorType.Validation,
  ActivityErrorType.NotFound,
  ActivityErrorType.Auth,
  ActivityErrorType.InsufficientFunds,
  ActivityErrorType.UnverifiedRecipient,
  ActivityErrorType.BusinessRule,
];

/** Activity groups; each has one retry policy. */
export type ActivityGroup = 'read' | 'write' | 'money' | 'lock' | 'notify' | 'reconcile';

/**
 * - `read`: side-effect free lookups, run as **local activities**: in the worker, inside the
 *   workflow task that asks, recorded as one marker event, with no activity task through the
 *   server. A case reads three to five records before its first write; as ordinary activities each
 *   read cost the server an activity task, a workflow task and six history events, most of a case's
 *   server work (BENCHMARKS.md). Reads qualify because they are short (30 s cap), side-effect free
 *   (a repeat after a worker crash is harmless) and need neither heartbeats nor their own task
 *   queue. Retry briskly for about ten minutes, then let the case decide.
 * - `write`: idempotent record writes (tickets, notes, tasks, documents, emails, address update).
 *   Keys make repeats harmless, so retry patiently (an hour, at most a minute apart) through
 *   outages and rate limits.
 * - `money`: refunds and pay tokens. Idempotent too (QuickBooks requestid, Skyfire buyerTag reuse),
 *   so retrying cannot move money twice; but a refund that lands hours after the approval surprises
 *   people, so keep trying for half an hour, then the case goes to needs-attention and says so.
 * - `notify`: Slack. Keep trying for a while (rate limits are per channel), then carry on.
 * - `reconcile`: the scheduled ledger reconciliation (reads every RefundReceipt and CreditMemo,
 *   settles or releases on evidence, raises findings). Every step is idempotent; it heartbeats
 *   between phases. It gives up well before the next run would start, which then starts over.
 *
 * Writes, money and Slack stay ordinary activities: each attempt shows in history, retries outlast
 * a worker restart, and a slow system never holds a workflow task.
 */
export const ACTIVITY_OPTIONS: { read: LocalActivityOptions } & Record<Exclude<ActivityGroup, 'read'>, ActivityOptions> = {
  read: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '10 minutes',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
    // Backoffs up to this wait inside the worker (the workflow task heartbeats); longer ones
    // become a server timer, so a long outage does not pin a workflow task.
    localRetryThreshold: '10 seconds',
  },
  write: {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '1 hour',
    // At most a minute between attempts: several of these activities make 2-4 requests per attempt
    // and succeed only when all do, so under heavy faults the number of attempts matters more than
    // spacing them out (a 429 still waits its Retry-After, which overrides this).
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  },
  money: {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '30 minutes',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  },
  // Taking an invoice's money lock: retried (a second or two apart) while another case holds it,
  // for as long as a holder may hold it (the lock's lease), so cases queue rather than fail.
  lock: {
    startToCloseTimeout: '30 seconds',
    // As long as a holder may hold it (the lock's 30 h lease: a Skyfire refund waits for its charge).
    scheduleToCloseTimeout: '30 hours',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 1.5,
      maximumInterval: '10 seconds',
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  },
  reconcile: {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '5 minutes',
    scheduleToCloseTimeout: '30 minutes',
    retry: {
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  },
  notify: {
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: '30 minutes',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
  },
};

/**
 * `reserveMoney` for new cases (patch `reserve-money-local`, src/workflows/money-path.ts): a local
 * activity in the workflow task the decision arrived in, instead of an activity task of its own.
 * It moves no money: it re-reads QuickBooks and writes the ledger's pending entry, keyed by the case
 * step, so a repeat (a retry, the workflow task retried after a worker crash, a reset, an attempt
 * cut off while its transaction still ran) finds its entry and decides nothing again: the
 * guarantee the ordinary activity had, without the round trip through the server (one billable
 * action and a workflow task between the decision and the refund).
 *
 * The price: the decision's update is answered with that workflow task, so the Slack click waits
 * for the first attempt (the route's budget is 2.5 s). Hence a short attempt (2 s; a QuickBooks read
 * is well under a second) and every retry backoff as a server timer (threshold below the money
 * group's first 5 s backoff): a QuickBooks or ledger outage ends the task at once, the click is
 * answered, and the retries go on as the money group's do, for 30 minutes.
 *
 * Since release 5 only Skyfire refunds and refunds a person returns on a named platform reserve
 * here: the QuickBooks routes reserve in `recordMoney` (`reserveFirst`), which answers the click
 * sooner still and spares the decision's task this local activity (money-path.ts).
 */
export const LOCAL_MONEY_OPTIONS: LocalActivityOptions = {
  ...ACTIVITY_OPTIONS.money,
  startToCloseTimeout: '2 seconds',
  localRetryThreshold: '100 milliseconds',
};

/** Which group each CaseActivities method belongs to (activities/contract.ts checks, at compile time, that the two lists are the same). */
export const ACTIVITY_GROUP_OF = {
  findInvoice: 'read',
  getCustomer: 'read',
  getOpenBalance: 'read',
  findPayment: 'read',
  invoiceLedger: 'read',
  caseMoneyEntry: 'read',
  loadPolicy: 'read',
  authorizeDecision: 'read',
  verifyCaseInput: 'read',
  attestChosenCase: 'read',
  findInvoicePayments: 'read',
  findContact: 'read',
  getOwner: 'read',
  getDeals: 'read',
  getWalletBalance: 'read',
  createKyaToken: 'write',
  createPayToken: 'money',
  getPayTokenCharges: 'read',
  sendInvoice: 'write',
  sendReceipt: 'write',
  lockMoney: 'lock',
  checkMoney: 'money',
  moveMoney: 'money',
  unlockMoney: 'write',
  reserveMoney: 'money',
  recordMoney: 'money',
  settlePayToken: 'write',
  refundCharge: 'money',
  confirmReturned: 'money',
  updateBillingAddress: 'write',
  openTicket: 'write',
  addTicketNote: 'write',
  settleTicket: 'write',
  addCrmNote: 'write',
  createOwnerTask: 'write',
  archiveDocument: 'write',
  sendCustomerEmail: 'write',
  postApprovalRequest: 'notify',
  updateApprovalMessage: 'notify',
  postApprovalReminder: 'notify',
  postFinanceAlert: 'notify',
  reconcileLedger: 'reconcile',
} as const satisfies Record<string, ActivityGroup>;

/** The options for one group, optionally tightened (tests shorten timeouts, never loosen rules). */
export function activityOptionsFor(group: ActivityGroup, overrides: Partial<ActivityOptions> = {}): ActivityOptions {
  return { ...ACTIVITY_OPTIONS[group], ...overrides };
}
