/**
 * The money activities' contract: what a workflow asks of the money path (reserve, check, record,
 * refund a card charge, settle a pay token, the legacy lock) and what each answers. Types only; the
 * implementation is ./money.ts, the rules it checks are src/policy/money-rules.ts.
 */
import type { CaseInput, Money } from '../domain/case';
import type { ApprovalVote, DecisionAction } from '../domain/decision';
import type { RecordRef } from '../domain/case-state';
import type { RefundRecord } from '../domain/records';
import type { MoneyRefusal } from '../policy/money-refusal';
import type { DisputePlan } from '../policy/dispute-plan';
import type { CaseFacts } from '../proofs/case-facts';
import type { LedgerEntry } from '../ledger/entries';

/** What the workflow asks the money path to do. */
export interface MoneyOrder {
  /** Unique within the case: the ledger entry, the idempotency key and the QuickBooks DocNumber derive from it. */
  step: string;
  /** `balance_credit`: a CreditMemo applied to the invoice's unpaid balance (src/ledger/store.ts). */
  kind: 'refund_receipt' | 'credit_memo' | 'balance_credit';
  customerId: string;
  amount: Money;
  /** QuickBooks Invoice.Id: the ledger's key. */
  invoiceId?: string;
  /** The invoice's DocNumber (display; cases from before the ledger name only this). */
  invoiceNumber?: string;
  /** How the money leaves (decided from the systems of record at the first reservation, kept for retries and resets). */
  route?: 'quickbooks' | 'skyfire' | 'owned';
  /**
   * A refund on the `quickbooks` route returns the money through QuickBooks Payments when a card
   * charge made there paid the invoice (the entry's route becomes `qb_payments`), else a person
   * returns it (`owned`). Cases started before these legs do not ask (their histories record only
   * the accounting record).
   */
  refundCharges?: boolean;
  authority: MoneyAuthorityInput;
  /**
   * An accepted dispute carried out in two legs (credit the unpaid part, refund the paid part): the
   * whole of what was approved. The approvals' signed subject names both amounts
   * (`disputeSubject`), and this leg's amount must be its part of it.
   */
  plan?: DisputePlan;
}

/** The authority as the workflow states it; approvals are verified here, not believed. */
export type MoneyAuthorityInput =
  | {
      kind: 'automation';
      /**
       * The facts automation acts on. With `factsRequired` (cases routed after signed intake) they
       * must verify against the intake's attestation here too, or no money moves unattended.
       */
      input: Pick<CaseInput, 'fields' | 'intentConfidence' | 'suppressed'> &
        Partial<Pick<CaseFacts, 'caseType' | 'call' | 'attestation'>> & { factsRequired?: boolean };
      vip: boolean;
    }
  | { kind: 'approval'; requestId: string; countingAction: DecisionAction; escalated: boolean; votes: ApprovalVote[] };

export type MoneyResult =
  /** `card`: the QuickBooks Payments refund the entry settled on (a card-paid invoice). */
  | ({ status: 'moved'; record: RefundRecord; policyVersion: string; reused: boolean; card?: CardRefundView } & OwnEntry)
  | ({ status: 'refused'; code: MoneyRefusal; reason: string; policyVersion: string } & OwnEntry)
  /** A card-paid invoice whose refund is not final yet, or was declined: nothing recorded (yet). */
  | ({ status: 'card'; card: Exclude<RefundChargeResult, { state: 'returned' }>; policyVersion: string } & OwnEntry)
  /**
   * `reserveFirst` orders only: the entry (reserved by this step, or found) needs its leg before a
   * record (`owned`: a person returns the money; `skyfire`: the seller's charge). Nothing recorded.
   */
  | { status: 'reserved'; entry: MoneyEntryView; existed: boolean; policyVersion: string };

/**
 * `reserveFirst` orders: the case's entry after the step, and whether it was there before it (a
 * retry, a reset). A refusal carries it only when the entry is the case's own, released.
 */
interface OwnEntry {
  entry?: MoneyEntryView;
  existed?: boolean;
}

/** The record step's input: the order, the record's note, and whether it may answer `reserved`. */
export type RecordOrder = MoneyOrder & {
  privateNote: string;
  /**
   * New cases on the QuickBooks routes (patch `reserve-in-record`): no `reserveMoney` before this
   * step; it reserves when the case has no entry, and answers `reserved` when the entry needs its
   * leg first instead of failing.
   */
  reserveFirst?: boolean;
};

/** Money on its way back to the card of a QuickBooks Payments charge. */
export interface CardRefundView {
  refundId: string;
  status: string;
  chargeId: string;
  refunded: Money;
}

export type MoneyCheckResult =
  { status: 'allowed'; policyVersion: string } | { status: 'refused'; code: MoneyRefusal; reason: string; policyVersion: string };

/** The ledger entry as a workflow sees it (no internal columns it does not need). */
export interface MoneyEntryView {
  key: string;
  ref: string;
  state: LedgerEntry['state'];
  route: LedgerEntry['route'];
  amount: Money;
  settled: Money;
  payTokenId?: string;
  tokenStage: LedgerEntry['tokenStage'];
  record?: { object: 'RefundReceipt' | 'CreditMemo'; id: string };
  evidence?: string;
  /** qb_payments: the charge refunded, Intuit's refund id and its last status. */
  chargeId?: string;
  refundId?: string;
  refundStatus?: string;
}

/** Where a QuickBooks Payments refund stands: money on its way back, declined (reservation released), refused, or not final yet. */
export type RefundChargeResult =
  | { state: 'returned'; refundId: string; status: string; chargeId: string; refunded: Money }
  | { state: 'declined'; refundId?: string; evidence: string }
  | { state: 'pending'; refundId: string; status: string; chargeId: string };

export type ReserveMoneyResult =
  | { status: 'reserved'; entry: MoneyEntryView; existed: boolean; policyVersion: string; totals: MoneyTotalsView }
  | { status: 'refused'; code: MoneyRefusal; reason: string; policyVersion: string; totals?: MoneyTotalsView };

export interface MoneyTotalsView {
  currency: string;
  invoiceCommittedMinor: number;
  /**
   * Balance credits on the invoice, settled or pending; and settled (applied, so out of its
   * QuickBooks Balance). Absent in results recorded before balance credits (read as 0).
   */
  invoiceBalanceCreditMinor?: number;
  invoiceBalanceCreditSettledMinor?: number;
  invoiceWindowMinor: number;
  invoiceWindowCount: number;
  customerWindowMinor: number;
  customerWindowCount: number;
  /** Reconciliation findings on the customer that nobody cleared (they block automated money). */
  holds: string[];
}

export type SettlePayTokenResult =
  | { state: 'waiting'; charged: Money; chargeDeadline: string }
  | { state: 'settled'; settled: Money; chargeIds: string[]; partial: boolean }
  | { state: 'released'; evidence: string }
  | { state: 'unknown'; reason: string };

export interface MoneyLockRef {
  lockId: string;
  holder: string;
}

/** What has been refunded or credited on an invoice so far (any case, settled or pending), for routing before a wait. */
export interface InvoiceLedger {
  refundedMinor: number;
  records: RecordRef[];
  totals?: MoneyTotalsView;
  /**
   * This case's own entry for `ownStep`, when it has one: a reset (or a rerun) of a case whose
   * money step was reserved already goes on from it instead of deciding again (its money may have
   * moved; the entry counts in the totals above as any other).
   */
  own?: MoneyEntryView;
}

export interface MoneyActivities {
  /** The ledger on the invoice and the customer (read; the reservation reads it again in its transaction). */
  invoiceLedger(input: {
    customerId: string;
    invoiceNumber: string;
    invoiceId?: string;
    currency?: string;
    /** The case's money step (`refund.record`): its entry is answered as `own`. */
    ownStep?: string;
  }): Promise<InvoiceLedger>;
  reserveMoney(input: MoneyOrder): Promise<ReserveMoneyResult>;
  /** This case's ledger entry for a money step, if it has one (a read: what a reset case already reserved). */
  caseMoneyEntry(input: { step: string }): Promise<MoneyEntryView | null>;
  /**
   * The QuickBooks record, with the entry's ref as DocNumber; for a pending `qb_payments` entry the
   * card refund first, in the same attempt (`refundCharge`'s leg), answered `card` when it is not
   * final or was declined.
   */
  recordMoney(input: RecordOrder): Promise<MoneyResult>;
  settlePayToken(input: { step: string; currency: string }): Promise<SettlePayTokenResult>;
  /**
   * The QuickBooks Payments leg of a `qb_payments` entry: refunds the charge (Request-Id derived
   * from the entry, so every retry, worker and reset sends the same one), or reads the refund it
   * made; settles the entry when the refund is issued, releases it when declined or refused.
   */
  refundCharge(input: { step: string }): Promise<RefundChargeResult>;
  /**
   * The owned leg: settles an `owned` entry on a person's "Money returned" decision, its proof and
   * subject (kind `refund_returned`, this amount and invoice) verified again here.
   */
  confirmReturned(input: {
    step: string;
    platform: string;
    requestId: string;
    votes: ApprovalVote[];
  }): Promise<{ state: 'settled'; confirmedBy: string } | { state: 'refused'; reason: string }>;
  /** Cases from before the ledger: the lock is the ledger's own transaction now (nothing to take). */
  lockMoney(input: { step: string; customerId: string; invoiceNumber?: string }): Promise<MoneyLockRef>;
  unlockMoney(input: MoneyLockRef): Promise<void>;
  /** Cases from before the ledger: the check before their Skyfire leg reserves, as `reserveMoney` does. */
  checkMoney(input: MoneyOrder): Promise<MoneyCheckResult>;
  /** Cases from before the ledger: reserve (when not yet) and record, as `recordMoney` does. */
  moveMoney(input: RecordOrder): Promise<MoneyResult>;
}
