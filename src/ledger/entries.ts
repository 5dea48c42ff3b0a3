/**
 * The ledger's vocabulary: an entry (a case's money step: pending, settled or released, with its
 * route and Skyfire token stage), totals, holds, a reservation and its answer. Pure.
 */
import { createHash } from 'node:crypto';

export type EntryState = 'pending' | 'settled' | 'released';
/**
 * `refund_receipt` and `credit_memo` return (or credit) money that was paid; `balance_credit` is a
 * CreditMemo applied to the invoice's unpaid balance (a Payment of 0 linking both), so less is owed.
 */
export type EntryKind = 'refund_receipt' | 'credit_memo' | 'balance_credit';
/**
 * How the money leaves: `skyfire` (a pay token the seller charges), `qb_payments` (a refund of the
 * card charge through the QuickBooks Payments API), `owned` (a person returns it where the customer
 * paid and confirms it with a signed decision), or `quickbooks` (the accounting record only:
 * credit memos, balance credits, and cases from before the Payments leg).
 */
export type EntryRoute = 'quickbooks' | 'skyfire' | 'qb_payments' | 'owned';
/** How far a Skyfire pay token got: `creating` = a create may have reached Skyfire. */
export type TokenStage = 'none' | 'creating' | 'created';

export interface LedgerEntry {
  /** `<workflowId>/<step>`: what a retry or a reset of the same case step finds again. */
  key: string;
  /** Short reference written as the QuickBooks record's DocNumber (21 characters at most): the structured link back here. */
  ref: string;
  realm: string;
  customerId: string;
  /** QuickBooks Invoice.Id; null for money not tied to an invoice. */
  invoiceId: string | null;
  /** The invoice's DocNumber as QuickBooks stores it (display only). */
  invoiceDoc: string | null;
  caseId: string;
  step: string;
  kind: EntryKind;
  route: EntryRoute;
  currency: string;
  amountMinor: number;
  /** What was paid on the invoice when the entry was reserved (the bound it was checked against). */
  refundableMinor: number | null;
  /** Balance credits: what was open on the invoice when reserved (the bound it was checked against). */
  openBalanceMinor: number | null;
  state: EntryState;
  /** What actually moved (a partial Skyfire charge settles less than `amountMinor`). */
  settledMinor: number;
  tokenStage: TokenStage;
  tokenAttempt: number;
  payTokenId: string | null;
  /** ISO time after which the token can no longer be charged. */
  chargeDeadline: string | null;
  recordEntity: string | null;
  recordId: string | null;
  evidence: string | null;
  /** qb_payments: the QuickBooks Payments charge refunded (the Payment's CCTransId). */
  chargeId: string | null;
  /** qb_payments: Intuit's refund id and its last status seen (ISSUED, DECLINED, ...). */
  refundId: string | null;
  refundStatus: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LedgerTotals {
  currency: string;
  /**
   * Settled + pending on the invoice, all time, every kind (what the paid bound applies to: a
   * balance credit applied in QuickBooks shows there as paid, so it counts against it too).
   */
  invoiceCommittedMinor: number;
  /** Settled + pending balance credits on the invoice, all time (what the balance bound applies to). */
  invoiceBalanceCreditMinor: number;
  /** Of those, settled (applied in QuickBooks, so already out of its Balance). */
  invoiceBalanceCreditSettledMinor: number;
  /** Settled + pending on the invoice within the window, and how many entries. */
  invoiceWindowMinor: number;
  invoiceWindowCount: number;
  /** Settled + pending on the customer (every invoice and none) within the window, and how many entries. */
  customerWindowMinor: number;
  customerWindowCount: number;
  /** Reconciliation findings on the customer nobody has cleared yet. */
  holds: LedgerHold[];
}

export interface LedgerHold {
  id: number;
  realm: string;
  customerId: string;
  /** Stable identity of the finding (a record nobody can attribute, a difference): added once. */
  finding: string;
  detail: string;
  createdAt: string;
}

export interface ReserveRequest {
  key: string;
  realm: string;
  customerId: string;
  invoiceId: string | null;
  invoiceDoc: string | null;
  caseId: string;
  step: string;
  kind: EntryKind;
  route: EntryRoute;
  /** qb_payments: the charge to refund. */
  chargeId?: string | null;
  currency: string;
  amountMinor: number;
  /** Paid on the invoice now (read from QuickBooks just before): the bound. Null without an invoice. */
  refundableMinor: number | null;
  /** Balance credits: the invoice's QuickBooks Balance now (read just before). Null for other kinds. */
  openBalanceMinor?: number | null;
  /** The window for running totals (approval tiers), ms. */
  windowMs: number;
}

export type ReserveResult =
  | { status: 'reserved'; entry: LedgerEntry; existed: boolean; totals: LedgerTotals }
  | { status: 'refused'; code: string; reason: string; totals: LedgerTotals };

/** Raised when a transition is not allowed (settling a released entry, releasing a settled one). */
export class LedgerConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerConflictError';
  }
}

/** The DocNumber-sized reference of an entry key: `L` + 20 hex characters of its hash. */
export function ledgerRef(key: string): string {
  return `L${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}

/** What the refusal check sees inside the reservation's transaction. */
export type ReserveCheck = (totals: LedgerTotals) => { code: string; reason: string } | null;
