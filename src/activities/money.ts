/**
 * The one path money moves through (docs/workflows.md, "The money ledger"). Every RefundReceipt,
 * CreditMemo and Skyfire pay token, for a refund case or an accepted dispute, is an entry of the
 * ledger (src/ledger/store.ts) before anything outside is touched:
 *
 * 1. `reserveMoney`: re-read the invoice (QuickBooks `Invoice.Id`: owner, currency, amount paid)
 *    and the customer, verify the approvals' proofs again, apply the worker's policy now with the
 *    ledger's running totals, and write a **pending** entry, all of it atomic with the invoice's
 *    bound (settled + pending <= paid) in the ledger's transaction. A retry or a reset of the same
 *    case step finds its entry and never decides or reserves again. New refunds and credits on the
 *    QuickBooks routes run this same reservation as the first part of `recordMoney` (`reserveFirst`):
 *    it is written before that step's first external write, and the step answers `reserved` when
 *    the entry needs a leg before its record (a person's "Money returned").
 * 2. The Skyfire leg (src/activities/skyfire.ts) creates at most one pay token per entry;
 *    `settlePayToken` settles the entry on Skyfire's charges, or releases it once the token expired
 *    uncharged.
 * 3. `recordMoney`: the QuickBooks record, with the entry's ref as DocNumber (the structured link
 *    the reconciliation follows) and the case step's requestid; the entry settles on it, or is
 *    released when QuickBooks refused the write. For a card-paid invoice (`qb_payments`) it first
 *    refunds the charge through QuickBooks Payments (`refundOnCharge`, Request-Id from the entry)
 *    and records only once the refund is issued; `refundCharge` reads a refund that was not final.
 *
 * `lockMoney`, `checkMoney`, `moveMoney` and `unlockMoney` remain for cases that started before the
 * ledger (their histories schedule them): they run on the ledger too.
 *
 * Why one file of about 700 lines (issue 23 asks for a reason above 450): the steps are one closure
 * over the money path's dependencies (ledger, QuickBooks, Payments, Skyfire, the decision key) and
 * share its helpers (the invoice re-read, the verified authority, the ledger-conflict check); split
 * apart, each would take all of them again. What the steps take and answer is ./money-contract.ts.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Money } from '../domain/case';
import { currencyExponent } from '../domain/money';
import { sameSubject } from '../domain/decision';
import type { MoneyPolicy } from '../domain/policy';
import type { RecordRef } from '../domain/case-state';
import type { RefundRecord } from '../domain/records';
import { checkMoneyMove, type MoneyAuthority, type MoneyFacts } from '../policy/money-rules';
import type { MoneyRefusal } from '../policy/money-refusal';
import { disputeSubject } from '../policy/dispute-plan';
import { verifyDecision, voteAsDecision } from '../proofs/decision-proof';
import { verifyCaseFacts } from '../proofs/case-facts';
import {
  qboRequestId,
  type QboCustomer,
  type QboInvoice,
  type QboPayment,
  type QboTxn,
  type QuickBooksClient,
} from '../connectors/quickbooks';
import type { SkyfireClient } from '../connectors/skyfire';
import {
  REFUND_DECLINED_STATUS,
  REFUND_RETURNED_STATUSES,
  type PaymentsRefund,
  type QuickBooksPaymentsClient,
} from '../connectors/quickbooks-payments';
import { stableKey } from '../connectors/http';
import { randomUUID } from 'node:crypto';
import { ConnectorError, ValidationError } from '../connectors/errors';
import type { Ledger } from '../ledger/store';
import type { LedgerEntry, LedgerTotals } from '../ledger/entries';
import { currentCase, log, requirePositive, toDecimal, toMinor, toMinorFloor } from './support';
import type {
  MoneyOrder,
  MoneyAuthorityInput,
  MoneyResult,
  RecordOrder,
  MoneyEntryView,
  ReserveMoneyResult,
  MoneyTotalsView,
  SettlePayTokenResult,
  MoneyActivities,
  RefundChargeResult,
  CardRefundView,
} from './money-contract';

export interface MoneyActivityDeps {
  quickbooks: QuickBooksClient;
  skyfire: SkyfireClient;
  quickbooksPayments: QuickBooksPaymentsClient;
  ledger: Ledger;
  /** The worker's policy now (read at every call, so a configuration change applies to waiting cases). */
  policy: () => MoneyPolicy;
  decisionKey: string;
}

export const MONEY_LOCK_HELD_ERROR_TYPE = 'MoneyLockHeld';
/** The ledger entry of a money step (pay token steps `<prefix>.pay` belong to `<prefix>.record`). */
export const entryKey = (workflowId: string, step: string) => `${workflowId}/${step.replace(/\.pay$/, '.record')}`;

export function entryView(e: LedgerEntry): MoneyEntryView {
  return {
    key: e.key,
    ref: e.ref,
    state: e.state,
    route: e.route,
    amount: { amountMinor: e.amountMinor, currency: e.currency },
    settled: { amountMinor: e.settledMinor, currency: e.currency },
    ...(e.payTokenId ? { payTokenId: e.payTokenId } : {}),
    tokenStage: e.tokenStage,
    ...(e.recordId ? { record: { object: e.recordEntity as 'RefundReceipt' | 'CreditMemo', id: e.recordId } } : {}),
    ...(e.evidence ? { evidence: e.evidence } : {}),
    ...(e.chargeId ? { chargeId: e.chargeId } : {}),
    ...(e.refundId ? { refundId: e.refundId } : {}),
    ...(e.refundStatus ? { refundStatus: e.refundStatus } : {}),
  };
}

/**
 * The Request-Id of an entry's QuickBooks Payments refund: derived from the entry key alone, so a
 * retried activity, another worker or a reset of the case sends the same one and Intuit answers
 * the first refund instead of making a second (UUID-shaped, as Intuit's SDK generates them).
 */
export function paymentsRefundRequestId(entryKeyValue: string): string {
  const h = stableKey(['qb-payments-refund', entryKeyValue], 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The QuickBooks Payments charge of a Payment: `CreditCardPayment.CreditChargeResponse.CCTransId` (none: paid another way). */
export function chargeOfPayment(p: { CreditCardPayment?: { CreditChargeResponse?: { CCTransId?: string } } }): string | undefined {
  const id = p.CreditCardPayment?.CreditChargeResponse?.CCTransId;
  return typeof id === 'string' && id.trim() ? id.trim() : undefined;
}

const totalsView = (t: LedgerTotals): MoneyTotalsView => ({
  currency: t.currency,
  invoiceCommittedMinor: t.invoiceCommittedMinor,
  invoiceBalanceCreditMinor: t.invoiceBalanceCreditMinor,
  invoiceBalanceCreditSettledMinor: t.invoiceBalanceCreditSettledMinor,
  invoiceWindowMinor: t.invoiceWindowMinor,
  invoiceWindowCount: t.invoiceWindowCount,
  customerWindowMinor: t.customerWindowMinor,
  customerWindowCount: t.customerWindowCount,
  holds: t.holds.map((h) => h.detail),
});

export function createMoneyActivities(deps: MoneyActivityDeps): MoneyActivities {
  const qbo = deps.quickbooks;
  const { ledger } = deps;
  const currencyOf = (ref?: { value: string }) => ref?.value ?? 'USD';
  const entityOf = (kind: MoneyOrder['kind']) => (kind === 'refund_receipt' ? 'RefundReceipt' : 'CreditMemo');
  const kindWord = (kind: MoneyOrder['kind']) =>
    kind === 'refund_receipt' ? 'Refund' : kind === 'balance_credit' ? 'Credit against the balance' : 'Credit';

  /** The invoice by its QuickBooks id; cases from before the ledger name only the DocNumber. */
  async function readInvoice(order: Pick<MoneyOrder, 'invoiceId' | 'invoiceNumber'>): Promise<QboInvoice | null | undefined> {
    if (order.invoiceId) return (await qbo.find<QboInvoice>('Invoice', order.invoiceId)) ?? null;
    if (order.invoiceNumber) return (await qbo.findInvoiceByDocNumber(order.invoiceNumber)) ?? null;
    return undefined;
  }

  /** The authority with every vote's proof verified again (no age limit: votes may be days old). */
  function verifiedAuthority(a: MoneyAuthorityInput, workflowId: string, order: MoneyOrder, invoiceId: string | null): MoneyAuthority {
    if (a.kind === 'automation') {
      if (a.input.factsRequired) {
        const { caseType, call, attestation } = a.input;
        const check =
          caseType && call
            ? verifyCaseFacts(deps.decisionKey, workflowId, { ...a.input, caseType, call, ...(attestation ? { attestation } : {}) })
            : ({ ok: false, reason: 'malformed' } as const);
        if (!check.ok) {
          log('money path: automated refund on facts the intake did not sign', { reason: check.reason });
          return { kind: 'automation', input: a.input, vip: a.vip, factsUnverified: check.reason };
        }
      }
      return { kind: 'automation', input: a.input, vip: a.vip };
    }
    // A leg of an accepted dispute is covered by the dispute's whole subject (both legs, signed),
    // and only when its amount is its own part of it.
    const plan = order.plan;
    const legOfPlan =
      !plan ||
      (order.kind === 'balance_credit' ? plan.creditMinor : order.kind === plan.refundKind ? plan.refundMinor : -1) ===
        order.amount.amountMinor;
    const subject = plan
      ? disputeSubject(plan, order.amount.currency, invoiceId ?? undefined)
      : {
          amountMinor: order.amount.amountMinor,
          currency: order.amount.currency,
          ...(invoiceId ? { invoiceId } : {}),
          kind: order.kind,
        };
    if (!legOfPlan) log('money path: a leg that is not its part of the approved dispute plan', { step: order.step, kind: order.kind });
    const verifiedActors = a.votes
      .filter((v) => v.action === a.countingAction)
      .filter((v) => {
        const check = verifyDecision(deps.decisionKey, workflowId, voteAsDecision(a.requestId, v));
        if (!check.ok)
          log('money path: vote without a valid proof ignored', { requestId: a.requestId, actorId: v.actor.id, reason: check.reason });
        // A signed subject approves that amount, currency, invoice and kind, and nothing else. (Votes
        // recorded before subjects were signed carry none; their proof binds the case and request.)
        const covers = legOfPlan && (!v.subject || sameSubject(v.subject, subject));
        if (check.ok && !covers)
          log('money path: vote for another amount, invoice or kind ignored', { requestId: a.requestId, actorId: v.actor.id });
        return check.ok && covers;
      })
      .map((v) => v.actor.id);
    return { kind: 'approval', countingAction: a.countingAction, escalated: a.escalated, verifiedActors };
  }

  function validate(order: MoneyOrder): void {
    requirePositive('quickbooks', order.amount);
    if (!order.customerId) throw new ValidationError({ system: 'quickbooks' }, 'customerId is required');
  }

  /**
   * Whether an entry found under this case step is this order's: a retry or a reset asks for the
   * same thing; a new workflow started under an old id (a terminated case's) may not, and must not
   * inherit the old entry's money or record.
   */
  function conflictOf(e: LedgerEntry, order: MoneyOrder): string | undefined {
    const differs = [
      e.customerId !== order.customerId && 'customer',
      order.invoiceId !== undefined && e.invoiceId !== order.invoiceId && 'invoice',
      e.amountMinor !== order.amount.amountMinor && 'amount',
      e.currency !== order.amount.currency && 'currency',
      e.kind !== order.kind && 'kind',
    ].filter(Boolean);
    return differs.length > 0
      ? `ledger entry ${e.ref} for this case step was reserved for another ${differs.join(', ')} (${e.amountMinor} ${e.currency} ${e.kind} on ${e.invoiceDoc ?? 'no invoice'}); nothing moves for this request`
      : undefined;
  }

  /**
   * `known.absent`: the caller read the entry a moment ago and there was none (the ledger's own
   * transaction still finds one written since). `known.out` receives the entry as the ledger holds it.
   */
  async function reserve(order: MoneyOrder, known: { absent?: boolean; out?: { entry?: LedgerEntry } } = {}): Promise<ReserveMoneyResult> {
    validate(order);
    const { workflowId } = currentCase();
    const key = entryKey(workflowId, order.step);
    const policy = deps.policy();
    // A retry, a crashed worker's successor or a reset of this step: its entry stands as it is.
    const existing = known.absent ? undefined : await ledger.get(key);
    const conflict = existing && conflictOf(existing, order);
    if (conflict) {
      log('money path: case step already in the ledger for another order', { key, ref: existing.ref });
      return { status: 'refused', code: 'ledger_conflict', reason: conflict, policyVersion: policy.version };
    }
    if (existing) {
      const totals = await ledger.totals({
        realm: existing.realm,
        customerId: existing.customerId,
        invoiceId: existing.invoiceId,
        currency: existing.currency,
        windowMs: policy.runningTotalWindowMs,
      });
      return { status: 'reserved', entry: entryView(existing), existed: true, policyVersion: policy.version, totals: totalsView(totals) };
    }
    // A refund that may go back to a card needs the invoice's payments too: the three reads are
    // independent when the order names the invoice's Id (every case since the ledger), so they go
    // together; the click's answer waits for this reservation (LOCAL_MONEY_OPTIONS).
    const returnLeg = order.refundCharges === true && order.kind === 'refund_receipt' && (order.route ?? 'quickbooks') === 'quickbooks';
    const chargeScale = currencyExponent(order.amount.currency) === 2;
    const [customer, invoice, earlyPayments] = await Promise.all([
      qbo.find<QboCustomer>('Customer', order.customerId),
      readInvoice(order),
      returnLeg && chargeScale && order.invoiceId ? qbo.paymentsForInvoice(order.customerId, order.invoiceId) : undefined,
    ]);
    const refuse = (code: MoneyRefusal, reason: string): ReserveMoneyResult => ({
      status: 'refused',
      code,
      reason,
      policyVersion: policy.version,
    });
    const invoiceFacts: MoneyFacts['invoice'] =
      invoice === undefined
        ? undefined
        : invoice && {
            docNumber: invoice.DocNumber ?? invoice.Id,
            customerId: invoice.CustomerRef.value,
            currency: currencyOf(invoice.CurrencyRef),
            paidMinor:
              toMinor(invoice.TotalAmt, currencyOf(invoice.CurrencyRef)) - toMinor(invoice.Balance, currencyOf(invoice.CurrencyRef)),
          };
    const balanceCredit = order.kind === 'balance_credit';
    const baseFacts = (t?: LedgerTotals): MoneyFacts => ({
      amount: order.amount,
      ...(balanceCredit && invoice
        ? {
            balance: {
              openMinor: toMinor(invoice.Balance, currencyOf(invoice.CurrencyRef)) + (t?.invoiceBalanceCreditSettledMinor ?? 0),
              creditedMinor: t?.invoiceBalanceCreditMinor ?? 0,
            },
          }
        : {}),
      customer: customer ? { id: customer.Id, currency: currencyOf(customer.CurrencyRef) } : null,
      ...(invoice !== undefined ? { invoice: invoiceFacts } : {}),
      refundedMinor: t?.invoiceCommittedMinor ?? 0,
      windowTotalMinor: t?.customerWindowMinor ?? 0,
      holds: t?.holds.map((h) => h.detail) ?? [],
    });
    // The approval names the invoice the request showed (none when it was not found then); the ledger keys on the one found now.
    const authority = verifiedAuthority(order.authority, workflowId, order, order.invoiceId ?? null);
    // Refused before the ledger is touched when there is nothing to key it on (no customer, no invoice).
    if (!customer || invoice === null || (invoice && invoice.CustomerRef.value !== customer.Id)) {
      const check = checkMoneyMove(baseFacts(), authority, policy);
      if (!check.ok) return refuse(check.code, check.reason);
    }
    // A credit against the balance is of an invoice, or nothing.
    if (balanceCredit && !invoice) return refuse('invoice_not_found', 'a credit against the balance needs the invoice, and none was found');
    // A refund of an invoice a QuickBooks Payments charge paid goes back to that card: the latest
    // such charge that covers the amount (a duplicate charge is the later one), else the largest.
    // None (paid by check, bank transfer, anything QuickBooks only recorded, or no invoice): nothing
    // the service holds returns the money, so a person owns it (`owned`: the entry waits for a
    // signed "Money returned" before it settles). A RefundReceipt alone would say "refunded" untrue.
    // The Payments API takes and answers amounts as two-decimal strings (its charges are in the
    // merchant's USD): a JPY or KWD amount would be read at another scale (attack F4: KWD 12.500 sent,
    // 12.50 refunded, 12.500 settled). Other scales go to a person, as an owned return.
    let chargeId: string | undefined;
    if (returnLeg && invoice && customer && chargeScale) {
      const read = earlyPayments && customer.Id === order.customerId && invoice.Id === order.invoiceId;
      const charged = (read ? earlyPayments : await qbo.paymentsForInvoice(customer.Id, invoice.Id))
        .map((p) => ({ p, charge: chargeOfPayment(p) }))
        .filter((x): x is { p: QboPayment; charge: string } => x.charge !== undefined)
        .sort((a, b) => (a.p.TxnDate ?? '').localeCompare(b.p.TxnDate ?? '') || Number(a.p.Id) - Number(b.p.Id));
      const covering = charged.filter((x) => toMinor(x.p.TotalAmt, currencyOf(invoice.CurrencyRef)) >= order.amount.amountMinor);
      chargeId = (covering.at(-1) ?? [...charged].sort((a, b) => a.p.TotalAmt - b.p.TotalAmt).at(-1))?.charge;
    }
    const res = await ledger.reserve(
      {
        key,
        realm: qbo.realmId,
        customerId: customer!.Id,
        invoiceId: invoice ? invoice.Id : null,
        invoiceDoc: invoice ? (invoice.DocNumber ?? invoice.Id) : null,
        caseId: workflowId,
        step: order.step.replace(/\.pay$/, '.record'),
        kind: order.kind,
        route: chargeId ? 'qb_payments' : returnLeg ? 'owned' : (order.route ?? 'quickbooks'),
        ...(chargeId ? { chargeId } : {}),
        currency: order.amount.currency,
        amountMinor: order.amount.amountMinor,
        // Each kind has its bound: what was paid (refunds, customer credits), or what is open (balance credits).
        refundableMinor: invoiceFacts && !balanceCredit ? invoiceFacts.paidMinor : null,
        openBalanceMinor: balanceCredit && invoice ? toMinor(invoice.Balance, currencyOf(invoice.CurrencyRef)) : null,
        windowMs: policy.runningTotalWindowMs,
      },
      (totals) => {
        const check = checkMoneyMove(baseFacts(totals), authority, policy);
        return check.ok ? null : { code: check.code, reason: check.reason };
      },
    );
    if (res.status === 'refused') {
      // The ledger's own bound speaks in minor units; say it in money.
      const check = checkMoneyMove(baseFacts(res.totals), authority, policy);
      const out = check.ok ? { code: res.code as MoneyRefusal, reason: res.reason } : { code: check.code, reason: check.reason };
      log('money path refused', { code: out.code, step: order.step, policyVersion: policy.version });
      return { status: 'refused', ...out, policyVersion: policy.version, totals: totalsView(res.totals) };
    }
    // The ledger's transaction found an entry for this step written since this attempt's read (a
    // racing attempt, a reset racing the old run): it stands only for the order it was reserved for.
    const late = res.existed && conflictOf(res.entry, order);
    if (late) {
      log('money path: case step reserved meanwhile for another order', { key, ref: res.entry.ref });
      return { status: 'refused', code: 'ledger_conflict', reason: late, policyVersion: policy.version };
    }
    if (known.out) known.out.entry = res.entry;
    log('money reserved', { key, ref: res.entry.ref, step: order.step, policyVersion: policy.version });
    return {
      status: 'reserved',
      entry: entryView(res.entry),
      existed: res.existed,
      policyVersion: policy.version,
      totals: totalsView(res.totals),
    };
  }

  /** Our own record of an entry in QuickBooks, found by its DocNumber (the entry's ref). */
  async function findOwnRecord(entity: 'RefundReceipt' | 'CreditMemo', ref: string): Promise<QboTxn | undefined> {
    return (await qbo.query<QboTxn>(entity, { DocNumber: ref }, 1))[0];
  }

  const recordOf = (entity: 'RefundReceipt' | 'CreditMemo', t: QboTxn, currency: string): RefundRecord => ({
    system: 'quickbooks',
    object: entity,
    id: t.Id,
    url: qbo.recordUrl(entity, t.Id),
    amount: { amountMinor: toMinor(t.TotalAmt, currency), currency },
  });

  /**
   * The QuickBooks Payments leg of a `qb_payments` entry (RefundChargeResult says what each answer
   * means): `recordMoney` runs it before the record, `refundCharge` alone when a refund was not final.
   */
  async function refundOnCharge(step: string, known?: LedgerEntry, out?: { entry?: LedgerEntry }): Promise<RefundChargeResult> {
    const { workflowId } = currentCase();
    const key = entryKey(workflowId, step);
    let e = known ?? (await ledger.get(key));
    if (!e) throw ApplicationFailure.nonRetryable(`no ledger entry for ${step}`, 'LedgerNotReserved');
    if (e.route !== 'qb_payments' || !e.chargeId)
      throw ApplicationFailure.nonRetryable(`ledger entry ${e.ref} is not a QuickBooks Payments refund`, 'LedgerConflict');
    const chargeId = e.chargeId;
    if (e.state === 'released')
      return { state: 'declined', ...(e.refundId ? { refundId: e.refundId } : {}), evidence: e.evidence ?? 'released' };
    if (e.state === 'settled')
      return {
        state: 'returned',
        refundId: e.refundId ?? '',
        status: e.refundStatus ?? '',
        chargeId,
        refunded: { amountMinor: e.settledMinor, currency: e.currency },
      };
    let r: PaymentsRefund;
    if (e.refundId) {
      // The refund exists and was not final: read it (a read gets a Request-Id of its own).
      r = await deps.quickbooksPayments.getRefund(chargeId, e.refundId, randomUUID());
    } else {
      try {
        r = await deps.quickbooksPayments.refundCharge(
          chargeId,
          {
            amount: toDecimal(e.amountMinor, e.currency),
            description: `Refund${e.invoiceDoc ? ` for invoice ${e.invoiceDoc}` : ''}`,
          },
          paymentsRefundRequestId(key),
        );
      } catch (err) {
        // Intuit answered no (4xx other than auth: the amount, the charge): nothing was refunded.
        // A timeout or a 5xx proves nothing; Temporal retries with the same Request-Id.
        if (err instanceof ConnectorError && err.type !== 'AuthError' && err.nonRetryable) {
          const evidence = `QuickBooks Payments refused the refund of charge ${chargeId} (${err.status ?? 400}): ${err.message.slice(0, 300)}; no money moved`;
          await ledger.release(key, evidence);
          return { state: 'declined', evidence };
        }
        throw err;
      }
    }
    const status = String(r.status ?? '').toUpperCase();
    if (REFUND_RETURNED_STATUSES.has(status)) {
      const refundedMinor = Math.min(toMinor(r.amount, e.currency), e.amountMinor);
      // What Intuit answered and the settlement on it: one ledger transaction. Were the settlement
      // refused (the entry changed meanwhile), Intuit's answer is still kept as evidence.
      const seen = { refundId: r.id, status: r.status };
      const settled = await ledger
        .paymentsRefundSettled(key, seen, {
          settledMinor: refundedMinor,
          evidence: `QuickBooks Payments refund ${r.id} ${status} for ${r.amount} ${e.currency} on charge ${chargeId}`,
        })
        .catch(async (err: unknown) => {
          await ledger.paymentsRefundSeen(key, seen);
          throw err;
        });
      if (out) out.entry = settled;
      log('card refund issued', { ref: e.ref, refundId: r.id, status });
      return { state: 'returned', refundId: r.id, status, chargeId, refunded: { amountMinor: refundedMinor, currency: e.currency } };
    }
    e = await ledger.paymentsRefundSeen(key, { refundId: r.id, status: r.status });
    if (status === REFUND_DECLINED_STATUS) {
      const evidence = `QuickBooks Payments declined refund ${r.id} of ${r.amount} ${e.currency} on charge ${chargeId}: no money moved`;
      await ledger.release(key, evidence);
      return { state: 'declined', refundId: r.id, evidence };
    }
    return { state: 'pending', refundId: r.id, status, chargeId };
  }

  /** The card refund a settled `qb_payments` entry holds (the evidence the case reports with the record). */
  const cardOf = (e: LedgerEntry | undefined): CardRefundView | undefined =>
    e?.route === 'qb_payments' && e.state === 'settled' && e.refundId && e.chargeId
      ? {
          refundId: e.refundId,
          status: e.refundStatus ?? '',
          chargeId: e.chargeId,
          refunded: { amountMinor: e.settledMinor, currency: e.currency },
        }
      : undefined;

  async function recordWithCard(order: RecordOrder): Promise<MoneyResult> {
    const seen: RecordSeen = { reservedHere: false };
    const res = await record(order, seen);
    if (res.status === 'reserved' || (res.status !== 'moved' && !order.reserveFirst)) return res;
    const e = (res.status === 'moved' && seen.entry) || (await ledger.get(entryKey(currentCase().workflowId, order.step)));
    const card = res.status === 'moved' ? cardOf(e) : undefined;
    // A case that reserved in this step learns its entry from the answer (a refusal before the
    // reservation, or for another order's entry, has none of its own).
    const own =
      order.reserveFirst && e && !(res.status === 'refused' && res.code !== 'released')
        ? { entry: entryView(e), existed: !seen.reservedHere }
        : {};
    return { ...res, ...(card ? { card } : {}), ...own } as MoneyResult;
  }

  /** What `record` tells its caller besides its answer: whether it reserved, and the entry it moved money on. */
  interface RecordSeen {
    reservedHere: boolean;
    entry?: LedgerEntry;
  }

  async function record(order: RecordOrder, seen: RecordSeen = { reservedHere: false }): Promise<MoneyResult> {
    validate(order);
    const { workflowId } = currentCase();
    const policy = deps.policy();
    const key = entryKey(workflowId, order.step);
    let entry = await ledger.get(key);
    const conflict = entry && conflictOf(entry, order);
    if (conflict) return { status: 'refused', code: 'ledger_conflict', reason: conflict, policyVersion: policy.version };
    // Whether this attempt wrote the reservation: no record can carry the ref of an entry that did
    // not exist before this attempt's transaction, so there is nothing of ours to look for.
    let reservedHere = false;
    if (!entry) {
      // New cases on the QuickBooks routes reserve here (`reserveFirst`, issue 21: one local
      // activity and one workflow activation fewer in the decision's task); cases from before the
      // ledger reach the record step without a reservation too. The same reservation either way.
      const out: { entry?: LedgerEntry } = {};
      const r = await reserve(order, { absent: true, out });
      if (r.status === 'refused') return r;
      reservedHere = seen.reservedHere = !r.existed;
      entry = out.entry ?? (await ledger.get(key))!;
    }
    // The entry needs its leg before any record: a person returns the money (owned), or Skyfire
    // shows the charge. The case takes that leg, then asks again.
    if (order.reserveFirst && entry.state === 'pending' && (entry.route === 'owned' || entry.route === 'skyfire'))
      return { status: 'reserved', entry: entryView(entry), existed: !reservedHere, policyVersion: policy.version };
    // A card-paid invoice: the money goes back to the card first, in this same attempt (issue 21: the
    // card refund and its record are one activity, one billable action and one workflow task fewer
    // between the decision and the record). Both writes are keyed by the entry (the Payments
    // Request-Id, the QuickBooks DocNumber), so a retry after either resumes where the last stopped.
    // A refund not final yet, or declined, is answered as such: the case waits, or stops, as
    // src/workflows/card-refund.ts says.
    if (entry.route === 'qb_payments' && entry.state === 'pending' && !entry.recordId) {
      const settled: { entry?: LedgerEntry } = {};
      // The entry this attempt reserved is passed along; one found is read again just before the
      // refund is sent (a racing attempt may have sent it meanwhile: the Request-Id makes a repeat
      // harmless, the read makes it rarer).
      const card = await refundOnCharge(order.step, reservedHere ? entry : undefined, settled);
      if (card.state !== 'returned') return { status: 'card', card, policyVersion: policy.version };
      entry = settled.entry ?? (await ledger.get(key))!;
    }
    const entity = entityOf(entry.kind);
    const currency = entry.currency;
    if (entry.state === 'released')
      return {
        status: 'refused',
        code: 'released',
        reason: entry.evidence ?? 'the reservation was released',
        policyVersion: policy.version,
      };
    if (entry.recordId) {
      const t = await qbo.find<QboTxn>(entity, entry.recordId);
      return {
        status: 'moved',
        reused: true,
        policyVersion: policy.version,
        record: t
          ? recordOf(entity, t, currency)
          : {
              system: 'quickbooks',
              object: entity,
              id: entry.recordId,
              amount: entry.state === 'settled' ? { amountMinor: entry.settledMinor, currency } : order.amount,
            },
      };
    }
    if (entry.route === 'skyfire' && entry.state !== 'settled')
      throw ApplicationFailure.nonRetryable(
        `ledger entry ${entry.ref} is ${entry.state}: a Skyfire refund is recorded only after Skyfire shows its charge`,
        'LedgerNotSettled',
      );
    if (entry.route === 'owned' && entry.state !== 'settled')
      throw ApplicationFailure.nonRetryable(
        `ledger entry ${entry.ref} is ${entry.state}: money returned by a person is recorded only after it was confirmed`,
        'LedgerNotSettled',
      );
    if (entry.route === 'qb_payments' && entry.state !== 'settled')
      throw ApplicationFailure.nonRetryable(
        `ledger entry ${entry.ref} is ${entry.state}: a card refund is recorded only after QuickBooks Payments issued it`,
        'LedgerNotSettled',
      );
    const amountMinor = entry.state === 'settled' ? entry.settledMinor : entry.amountMinor;
    const settleOrAttach = async (t: QboTxn, how: string) => {
      const rec = { entity, id: t.Id };
      // A balance credit settles once it is applied: until then the invoice's Balance still shows it owed.
      if (entry!.kind === 'balance_credit' && entry!.state === 'pending') {
        entry = seen.entry = await ledger.settle(key, { settledMinor: amountMinor, evidence: await applyToInvoice(t, how), record: rec });
        return recordOf(entity, t, currency);
      }
      entry = seen.entry =
        entry!.state === 'settled'
          ? await ledger.attachRecord(key, rec)
          : await ledger.settle(key, { settledMinor: amountMinor, evidence: `QuickBooks ${entity} ${t.Id} ${how}`, record: rec });
      return recordOf(entity, t, currency);
    };
    /**
     * Applies the entry's CreditMemo to its invoice (a Payment of 0 linking both, with the step's
     * requestid) unless it already was: its remaining credit is then 0. The evidence to settle on.
     */
    const applyToInvoice = async (t: QboTxn, how: string): Promise<string> => {
      const remainingMinor = toMinor(t.RemainingCredit ?? t.Balance ?? t.TotalAmt, currency);
      const doc = entry!.invoiceDoc ?? entry!.invoiceId;
      if (remainingMinor <= 0) return `QuickBooks CreditMemo ${t.Id} ${how}, found applied to invoice ${doc} (no credit remaining)`;
      let payment: QboPayment;
      try {
        payment = await qbo.applyCreditMemo(
          {
            customerId: entry!.customerId,
            currency,
            invoiceId: entry!.invoiceId!,
            creditMemoId: t.Id,
            amount: Number(toDecimal(remainingMinor, currency)),
            privateNote: `Applies credit memo ${entry!.ref} to invoice ${doc}\nLedger entry ${entry!.ref}`,
          },
          qboRequestId(workflowId, order.step, ['apply']),
        );
      } catch (err) {
        // QuickBooks refused to apply it (the invoice was paid or changed meanwhile): the memo exists
        // and the ledger keeps it pending; a person applies or removes it (the reconciliation flags it).
        if (err instanceof ValidationError)
          throw ApplicationFailure.nonRetryable(
            `QuickBooks CreditMemo ${t.Id} (${entry!.ref}) was written but QuickBooks refused to apply it to invoice ${doc}: ${err.message.slice(0, 300)}`,
            'CreditNotApplied',
          );
        throw err;
      }
      log('credit applied', { creditMemo: t.Id, payment: payment.Id, ref: entry!.ref });
      return `QuickBooks CreditMemo ${t.Id} ${how}, applied to invoice ${doc} by Payment ${payment.Id}`;
    };
    // A lost answer, a crashed worker or a reset: the record may exist already.
    const own = reservedHere ? undefined : await findOwnRecord(entity, entry.ref);
    if (own) {
      log('money already recorded for this entry', { object: entity, id: own.Id, ref: entry.ref });
      return { status: 'moved', reused: true, policyVersion: policy.version, record: await settleOrAttach(own, 'found by DocNumber') };
    }
    const line = {
      Amount: Number(toDecimal(amountMinor, currency)),
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: { value: qbo.refundItemId } },
      Description:
        `${kindWord(entry.kind)}${entry.invoiceDoc ? ` ${entry.kind === 'balance_credit' ? 'of' : 'for'} invoice ${entry.invoiceDoc}` : ''}`.slice(
          0,
          4000,
        ),
    };
    const body = {
      CustomerRef: { value: entry.customerId },
      CurrencyRef: { value: currency },
      // The structured link the reconciliation follows back to the ledger entry (and so to the invoice's Id).
      DocNumber: entry.ref,
      Line: [line],
      // QuickBooks caps PrivateNote at 4000 characters.
      PrivateNote: `${order.privateNote.slice(0, entry.refundId ? 3880 : 3960)}${
        entry.refundId
          ? `\nQuickBooks Payments refund ${entry.refundId} (${entry.refundStatus ?? ''}) on charge ${entry.chargeId ?? ''}`
          : ''
      }\nLedger entry ${entry.ref}`,
      ...(entity === 'RefundReceipt' ? { DepositToAccountRef: { value: qbo.refundDepositAccountId } } : {}),
    };
    let created: QboTxn;
    try {
      created = await qbo.create<QboTxn>(entity, body, qboRequestId(workflowId, order.step));
    } catch (err) {
      // QuickBooks answered no: its DocNumber is taken (our own record, written by an attempt whose answer was lost) ...
      const dup = await findOwnRecord(entity, entry.ref);
      if (dup)
        return { status: 'moved', reused: true, policyVersion: policy.version, record: await settleOrAttach(dup, 'found by DocNumber') };
      // ... or it refused the write (a 4xx is evidence it did not happen): the reservation is released.
      if (err instanceof ValidationError && entry.state === 'pending') {
        const evidence = `QuickBooks refused the ${entity} (${(err as ConnectorError).status ?? 400}): ${err.message.slice(0, 300)}`;
        await ledger.release(key, evidence);
        return { status: 'refused', code: 'released', reason: evidence, policyVersion: policy.version };
      }
      throw err;
    }
    log('money recorded', { object: entity, id: created.Id, ref: entry.ref, step: order.step, policyVersion: policy.version });
    return { status: 'moved', reused: false, policyVersion: policy.version, record: await settleOrAttach(created, 'written') };
  }

  return {
    async invoiceLedger({ customerId, invoiceNumber, invoiceId, currency, ownStep }) {
      const ownEntry = ownStep ? await ledger.get(entryKey(currentCase().workflowId, ownStep)) : undefined;
      const own = ownEntry ? { own: entryView(ownEntry) } : {};
      const inv = invoiceId ? await qbo.find<QboInvoice>('Invoice', invoiceId) : await qbo.findInvoiceByDocNumber(invoiceNumber);
      if (!inv) return { refundedMinor: 0, records: [], ...own };
      const cur = currency ?? currencyOf(inv.CurrencyRef);
      const policy = deps.policy();
      const owner = inv.CustomerRef.value ?? customerId;
      const totals = await ledger.totals({
        realm: qbo.realmId,
        customerId: owner,
        invoiceId: inv.Id,
        currency: cur,
        windowMs: policy.runningTotalWindowMs,
      });
      const records = (await ledger.entries(qbo.realmId))
        .filter((e) => e.invoiceId === inv.Id && e.state !== 'released')
        .map((e): RecordRef =>
          e.recordId
            ? {
                system: 'quickbooks',
                object: e.recordEntity ?? entityOf(e.kind),
                id: e.recordId,
                url: qbo.recordUrl(e.recordEntity as 'RefundReceipt', e.recordId),
              }
            : { system: 'quickbooks', object: `pending ${e.kind === 'refund_receipt' ? 'refund' : 'credit'} (ledger)`, id: e.ref },
        );
      return { refundedMinor: totals.invoiceCommittedMinor, records, totals: totalsView(totals), ...own };
    },

    reserveMoney: reserve,
    recordMoney: recordWithCard,

    async caseMoneyEntry({ step }) {
      const e = await ledger.get(entryKey(currentCase().workflowId, step));
      return e ? entryView(e) : null;
    },

    async settlePayToken({ step }) {
      const { workflowId } = currentCase();
      const e = await ledger.get(entryKey(workflowId, step));
      if (!e) throw ApplicationFailure.nonRetryable(`no ledger entry for ${step}`, 'LedgerNotReserved');
      // Called by the case after its create failed: with no token and no create in doubt, nothing can
      // move, and the ledger itself is the evidence (every attempt was refused by Skyfire or never sent).
      if (e.state === 'pending' && e.tokenStage === 'none' && !e.payTokenId) {
        const evidence = 'no pay token was created for this reservation: every create attempt was refused by Skyfire or never sent';
        await ledger.release(e.key, evidence);
        return { state: 'released', evidence };
      }
      return settleOnCharges(ledger, deps.skyfire, e);
    },

    refundCharge: ({ step }) => refundOnCharge(step),

    async confirmReturned({ step, platform, requestId, votes }) {
      const { workflowId } = currentCase();
      const key = entryKey(workflowId, step);
      const e = await ledger.get(key);
      if (!e) throw ApplicationFailure.nonRetryable(`no ledger entry for ${step}`, 'LedgerNotReserved');
      if (e.route !== 'owned') throw ApplicationFailure.nonRetryable(`ledger entry ${e.ref} is not an owned return`, 'LedgerConflict');
      if (e.state === 'settled') return { state: 'settled', confirmedBy: e.evidence ?? 'confirmed earlier' };
      if (e.state === 'released') return { state: 'refused', reason: e.evidence ?? 'the reservation was released' };
      const subject = {
        amountMinor: e.amountMinor,
        currency: e.currency,
        ...(e.invoiceId ? { invoiceId: e.invoiceId } : {}),
        kind: 'refund_returned',
      };
      const policy = deps.policy();
      const confirmed = votes.filter(
        (v) =>
          v.action === 'approve' &&
          policy.approvers.concat(policy.secondTierApprovers).includes(v.actor.id) &&
          verifyDecision(deps.decisionKey, workflowId, voteAsDecision(requestId, v)).ok &&
          sameSubject(v.subject, subject),
      );
      if (confirmed.length === 0) {
        log('money path: "money returned" without a valid proof, approver or subject', { requestId, ref: e.ref });
        return { state: 'refused', reason: 'no confirmation by a finance approver with a valid proof for this amount and invoice' };
      }
      const who = confirmed.map((v) => v.actor.name ?? v.actor.id).join(', ');
      await ledger.settle(key, {
        settledMinor: e.amountMinor,
        evidence: `returned through ${platform.slice(0, 100)} outside the service: confirmed by ${who} (decision request ${requestId})`,
      });
      return { state: 'settled', confirmedBy: who };
    },

    async lockMoney({ step }) {
      return { lockId: 'ledger', holder: `${currentCase().workflowId}/${step}` };
    },
    async unlockMoney() {},
    async checkMoney(order) {
      const r = await reserve(order);
      return r.status === 'reserved' ? { status: 'allowed', policyVersion: r.policyVersion } : r;
    },
    moveMoney: record,
  };
}

/**
 * A pending Skyfire entry against its pay token's charges (Skyfire's documented buyer-side read):
 * charged in full -> settled; charge window closed -> settled at what was charged, or released
 * when nothing was. The one place these transitions and their evidence are decided: the case's
 * `settlePayToken` and the scheduled reconciliation (src/activities/reconcile.ts) both call it.
 */
export async function settleOnCharges(
  ledger: Ledger,
  skyfire: Pick<SkyfireClient, 'getTokenCharges'>,
  e: LedgerEntry,
): Promise<SettlePayTokenResult> {
  const key = e.key;
  const money = (minor: number): Money => ({ amountMinor: minor, currency: e.currency });
  if (e.state === 'released') return { state: 'released', evidence: e.evidence ?? 'released' };
  if (e.state === 'settled')
    return { state: 'settled', settled: money(e.settledMinor), chargeIds: [], partial: e.settledMinor < e.amountMinor };
  if (!e.payTokenId || !e.chargeDeadline)
    return {
      state: 'unknown',
      reason: e.tokenStage === 'creating' ? 'a pay token create may have reached Skyfire; its answer was lost' : 'no pay token was created',
    };
  const c = await skyfire.getTokenCharges(e.payTokenId);
  const charged = Math.min(toMinorFloor(c.charged, e.currency), e.amountMinor);
  const evidence = `Skyfire shows ${c.charged} ${e.currency} charged on pay token ${e.payTokenId}${c.chargeIds.length ? ` (charges ${c.chargeIds.join(', ')})` : ''}`;
  if (charged >= e.amountMinor) {
    await ledger.settle(key, { settledMinor: charged, evidence });
    return { state: 'settled', settled: money(charged), chargeIds: c.chargeIds, partial: false };
  }
  if (Date.now() < Date.parse(e.chargeDeadline)) return { state: 'waiting', charged: money(charged), chargeDeadline: e.chargeDeadline };
  // The charge window closed: what was charged moved, the rest never can.
  if (charged > 0) {
    await ledger.settle(key, { settledMinor: charged, evidence: `${evidence}; charge window closed ${e.chargeDeadline}` });
    return { state: 'settled', settled: money(charged), chargeIds: c.chargeIds, partial: true };
  }
  const released = `pay token ${e.payTokenId} expired uncharged: ${evidence.replace(/^Skyfire shows /, 'Skyfire showed ')} when its charge window closed ${e.chargeDeadline}`;
  await ledger.release(key, released);
  return { state: 'released', evidence: released };
}
