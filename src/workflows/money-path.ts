/**
 * The money path, workflow side: the only way a case moves money (a refund, a credit, the refund
 * of an accepted dispute). The reservation (`reserveMoney`, or for new cases on the QuickBooks
 * routes the first part of `recordMoney`) re-checks everything against the systems of record and
 * the worker's policy now and writes a pending ledger entry (docs/workflows.md, "The money
 * ledger"); from then on nothing interrupts the path (an operator's cancel included) until the
 * ledger has the evidence of what happened: the Skyfire leg for accounts that pay through Skyfire
 * (settled on the token's charges, or released when it expired uncharged), or the QuickBooks
 * Payments leg for an invoice a card charge made there paid (the refund issued on that charge,
 * src/workflows/card-refund.ts), then the QuickBooks record. A refusal before the reservation ends the case with the reason; nothing moved.
 *
 * Cases that started before the ledger (no `money-ledger` marker in their history) replay the
 * earlier lock-based path, whose activities now run on the ledger too.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { RefundRecord } from '../domain/records';
import type { MoneyCheckResult, MoneyEntryView, MoneyResult, ReserveMoneyResult } from '../activities/money-contract';
import { CaseStatus, type Money } from '../domain/case';
import { MoneyRefusal } from '../policy/money-refusal';
import { moneyRefusalText } from '../policy/wording';
import { formatMoney } from '../domain/money';
import type { CaseRuntime } from './case-runtime';
import type { CaseState } from '../domain/case-state';
import { payThroughSkyfire, payThroughSkyfireLedger } from './skyfire-payment';
import { noteCardRefund, refundThroughPayments, type CardRefund } from './card-refund';
import { returnByOwner, returnedEarlier, type OwnedReturn } from './owned-return';
import { needsAttention, noteTicket } from './steps';
import type { RefundOrder } from './refund-order';

export type Refused = Extract<MoneyResult | MoneyCheckResult | ReserveMoneyResult, { status: 'refused' }>;

/**
 * What moved: the record, and how the money went back: `card` (the QuickBooks Payments refund) or
 * `returned` (a person returned it on another platform and confirmed it).
 */
export type MoneyMoved = { record: RefundRecord; card?: CardRefund; returned?: OwnedReturn };

/** Platforms the service returns money through itself (or, for QuickBooks, records and refunds the card). */
const SERVICE_PLATFORMS = new Set(['', 'quickbooks', 'skyfire']);

/** Moves the money at most once; `{ record }` when it moved, `{ state }` when the case ended without it. */
export async function moveMoney(rt: CaseRuntime, order: RefundOrder, stepPrefix = 'refund'): Promise<MoneyMoved | { state: CaseState }> {
  if (!rt.patched('money-ledger')) return moveMoneyUnderLock(rt, order, stepPrefix);
  const out = await moveMoneyLeg(rt, order, stepPrefix);
  if ('refused' in out)
    return { state: await refusedEnding(rt, out.refused, formatMoney(order.amount.amountMinor, order.amount.currency), order.kind) };
  return out;
}

/**
 * `moveMoney` on the ledger, but a refusal is returned (`{ refused }`, nothing moved) instead of
 * ending the case: for the second leg of a dispute, whose first leg already moved and must be told.
 */
export async function moveMoneyLeg(
  rt: CaseRuntime,
  order: RefundOrder,
  stepPrefix: string,
): Promise<MoneyMoved | { state: CaseState } | { refused: Refused }> {
  const { reserveMoney, recordMoney } = rt.acts;
  rt.setStatus(CaseStatus.Executing);
  const shown = formatMoney(order.amount.amountMinor, order.amount.currency);
  const step = `${stepPrefix}.record`;
  // A refund goes back where the customer paid: a QuickBooks Payments card charge is refunded through
  // its API; another platform (the CRM's payment_platform), or an invoice no such charge paid (a
  // check, a transfer: the reservation finds no charge and answers `owned`), is returned by a person
  // who confirms it. No patch marker: old and new code part only on the reservation's route, which
  // history holds (entries reserved before these legs are `quickbooks` or `skyfire`, so their cases
  // replay as they ran), and a marker on every refund would cost an upsert (docs/workflows.md).
  const returnLegs = order.kind === 'refund_receipt' && !order.paysThroughSkyfire;
  const platform = (order.paymentPlatform ?? '').trim().toLowerCase();
  const owned = returnLegs && !SERVICE_PLATFORMS.has(platform);
  const base = {
    step,
    kind: order.kind,
    customerId: order.customerId,
    amount: order.amount,
    ...(order.invoiceId ? { invoiceId: order.invoiceId } : {}),
    ...(order.invoiceNumber ? { invoiceNumber: order.invoiceNumber } : {}),
    // Skyfire returns money (a pay token the seller charges); a credit memo returns none, so it is
    // only ever an accounting record, whoever the customer pays through.
    route: owned
      ? ('owned' as const)
      : order.paysThroughSkyfire && order.kind === 'refund_receipt'
        ? ('skyfire' as const)
        : ('quickbooks' as const),
    authority: order.authority,
    ...(returnLegs && !owned ? { refundCharges: true } : {}),
    ...(order.plan ? { plan: order.plan } : {}),
  };
  const note = (payTokenId?: string) =>
    rt.note('quickbooks', {
      // The record is the refund done: its note says so, not the "being carried out" of this moment.
      status: CaseStatus.Completed,
      nextStep: `Confirm the ${order.kind === 'refund_receipt' ? 'refund' : 'credit'} to the customer`,
    }) + (payTokenId ? `\nSkyfire pay token ${payTokenId}` : '');
  // New cases on the QuickBooks routes reserve in the record step itself (`reserveFirst`): the same
  // reservation, written by the same code before any external effect, one local activity and one
  // workflow activation fewer in the decision's task (issue 21). It answers `reserved` when the
  // entry needs its leg first (a person returns the money), and the path goes on as below. Skyfire
  // refunds and refunds a person returns on a named platform reserve first, as before.
  let first: MoneyResult | undefined;
  let reserved: { entry: MoneyEntryView; existed: boolean; policyVersion: string };
  if (base.route === 'quickbooks' && rt.patched('reserve-in-record')) {
    // Not cancellable: the step may reserve, and from the reservation on money may leave.
    first = await CancellationScope.nonCancellable(async () => {
      try {
        return await recordMoney({ ...base, privateNote: note(), reserveFirst: true });
      } catch (err) {
        await afterReservingRecordFailed(rt, stepPrefix, shown);
        throw err;
      }
    });
    if (first.status === 'refused' && !first.entry) return { refused: first };
    const entry = first.entry ?? (await CancellationScope.nonCancellable(() => rt.acts.caseMoneyEntry({ step })));
    if (!entry) throw new Error(`the record step answered ${first.status} without this case's ledger entry`);
    reserved = { entry, existed: first.existed ?? true, policyVersion: first.policyVersion };
    if (first.status === 'reserved') first = undefined;
  } else {
    // A local activity for new cases (LOCAL_MONEY_OPTIONS says why that keeps the guarantees); cases
    // that scheduled it as an activity task replay with one.
    const r = await (rt.patched('reserve-money-local') ? rt.localActs.reserveMoney(base) : reserveMoney(base));
    if (r.status === 'refused') return { refused: r };
    reserved = r;
  }
  const entry = reserved.entry;
  rt.moneyOutcome = `${shown} reserved in the money ledger (entry ${entry.ref}); what happened to it is in the ledger and the ticket`;
  rt.facts.push(
    `Ledger entry ${entry.ref} ${reserved.existed ? `found (${entry.state})` : 'reserved'} for ${shown} (rules checked under policy ${reserved.policyVersion})`,
  );
  // From the reservation on, money may leave: an operator's cancel waits until the ledger knows
  // what happened (settled or released), so the case can say it truthfully.
  let partial: Money | undefined;
  const outcome = await CancellationScope.nonCancellable(async (): Promise<MoneyMoved | { state: CaseState } | { refused: Refused }> => {
    let payTokenId = entry.payTokenId;
    let card: CardRefund | undefined;
    let returned: OwnedReturn | undefined;
    // The legs before the record, when the record step has not answered already (it answers only
    // for entries it could record: its own card refund done, or nothing to wait for).
    if (entry.route === 'owned' && entry.state === 'pending' && !first) {
      const r = await returnByOwner(rt, order, stepPrefix, entry);
      if ('state' in r) return r;
      returned = r;
    } else if (entry.route === 'owned' && entry.state === 'settled') returned = returnedEarlier(order, entry);
    // A card-paid invoice: new cases refund the card inside `recordMoney` (one activity, patch
    // `card-refund-in-record`; asked only on this route, so no other case pays for its marker). Cases
    // from before it refund first here; also when the entry is settled already (a reset): the
    // ledger answers, Intuit is not asked again.
    const cardInRecord = entry.route === 'qb_payments' && rt.patched('card-refund-in-record');
    if (entry.route === 'qb_payments' && entry.state !== 'released' && !cardInRecord && !first) {
      const refunded = await refundThroughPayments(rt, order, stepPrefix, entry);
      if ('state' in refunded) return refunded;
      card = refunded;
    }
    if (entry.route === 'skyfire' && entry.state !== 'released' && !entry.record && !first) {
      const paid = await payThroughSkyfireLedger(rt, order, stepPrefix, entry);
      if ('state' in paid) return paid;
      payTokenId = paid.payTokenId;
      partial = paid.partial ? paid.settled : undefined;
    }
    const recordIt = () => recordMoney({ ...base, privateNote: note(payTokenId) });
    const recordOrSay = async (): Promise<MoneyResult> => {
      try {
        return await recordIt();
      } catch (err) {
        // The record step failed (QuickBooks refused the RefundReceipt, or was down for longer than
        // the step may retry) after the card refund may have been issued (in this step, or by an
        // earlier read): the case must say the money went back before it says the record was not
        // written. Unknown to the case yet, the ledger answers (Intuit is asked only if the refund
        // never reached it).
        if (card) markCardRefundDone(rt, stepPrefix);
        else if (cardInRecord) await cardRefundAfterFailure(rt, stepPrefix, shown, entry.ref);
        throw err;
      }
    };
    let res = first ?? (await recordOrSay());
    if (res.status === 'card') {
      // The card refund is not final yet (read again until it is, then recorded) or was declined.
      const refunded = await refundThroughPayments(rt, order, stepPrefix, entry, res.card);
      if ('state' in refunded) return refunded;
      card = refunded;
      res = await recordOrSay();
    }
    if (res.status === 'card')
      throw new Error(`ledger entry ${entry.ref}: the card refund was issued but the record step found it ${res.card.state}`);
    // Only a `reserveFirst` order is answered `reserved`, and only the first call sends one.
    if (res.status === 'reserved') throw new Error(`ledger entry ${entry.ref}: the record step answered reserved after its leg`);
    if (res.status === 'refused') return { refused: res };
    if (res.card && !card) card = noteCardRefund(rt, res.card);
    return { record: res.record, ...(card ? { card } : {}), ...(returned ? { returned } : {}) };
  });
  if ('state' in outcome) {
    rt.moneyOutcome = `${shown}: ${outcome.state.reason ?? outcome.state.status} (ledger entry ${entry.ref})`;
    return outcome;
  }
  if ('refused' in outcome) {
    rt.moneyOutcome = `nothing moved: ${outcome.refused.reason} (ledger entry ${entry.ref} released)`;
    return outcome;
  }
  const r = outcome.record;
  rt.moneyOutcome = `${r.object} ${r.id} recorded for ${formatMoney(r.amount.amountMinor, r.amount.currency)} (ledger entry ${entry.ref} settled); the customer may not have been told`;
  rt.addRecord(r);
  rt.facts.push(
    `${r.object} ${r.id} recorded for ${formatMoney(r.amount.amountMinor, r.amount.currency)}; ledger entry ${entry.ref} settled`,
  );
  rt.setHandoff({ destinationObject: r, ...(r.url ? { recordUrl: r.url } : {}) });
  if (outcome.returned) {
    rt.moneyOutcome = `${shown} returned ${outcome.returned.named ? `through ${outcome.returned.platform}` : 'the way the customer paid'} (confirmed by ${outcome.returned.confirmedBy}), ${r.object} ${r.id} recorded (ledger entry ${entry.ref} settled); the customer may not have been told`;
    return { record: r, returned: outcome.returned };
  }
  if (outcome.card) {
    rt.moneyOutcome = `${formatMoney(outcome.card.refunded.amountMinor, outcome.card.refunded.currency)} refunded to the card (QuickBooks Payments refund ${outcome.card.refundId} ${outcome.card.status}), ${r.object} ${r.id} recorded (ledger entry ${entry.ref} settled); the customer may not have been told`;
    return { record: r, card: outcome.card };
  }
  if (partial) {
    const got = formatMoney(partial.amountMinor, partial.currency);
    return {
      state: await needsAttention(
        rt,
        `the seller service charged ${got} of ${shown} on the Skyfire pay token before its charge window closed; ${r.object} ${r.id} records the ${got} that moved, the rest was not paid`,
      ),
    };
  }
  return { record: r };
}

/** The card refund as a write of its own, done, for the needs-attention note beside a record step that failed. */
function markCardRefundDone(rt: CaseRuntime, stepPrefix: string): void {
  rt.writes.push(`${stepPrefix}.card-refund`);
  rt.writeOutcomes.set(`${stepPrefix}.card-refund`, 'done');
}

/**
 * A record step that reserves (`reserveFirst`) failed: whether it reserved is the ledger's to say.
 * With an entry, the case says so (the reconciliation follows it), and a card refund the step may
 * have issued is told first, as after any failed record step; without one nothing was reserved.
 */
async function afterReservingRecordFailed(rt: CaseRuntime, stepPrefix: string, shown: string): Promise<void> {
  const entry = await rt.acts.caseMoneyEntry({ step: `${stepPrefix}.record` }).catch(() => null);
  if (!entry) return;
  rt.moneyOutcome = `${shown} reserved in the money ledger (entry ${entry.ref}); what happened to it is in the ledger and the ticket`;
  if (entry.route === 'qb_payments') await cardRefundAfterFailure(rt, stepPrefix, shown, entry.ref);
}

/** What the ledger says of an entry's card refund once its record step failed: noted as a fact when it was issued. */
async function cardRefundAfterFailure(rt: CaseRuntime, stepPrefix: string, shown: string, ref: string): Promise<CardRefund | undefined> {
  const step = `${stepPrefix}.record`;
  // The record step's own outcome (refused, unknown) stays what the needs-attention note lists;
  // the card refund is listed apart, as done, when the ledger shows it issued.
  const recordOutcome = rt.writeOutcomes.get(step);
  try {
    const r = await rt.acts.refundCharge({ step });
    if (recordOutcome) rt.writeOutcomes.set(step, recordOutcome);
    if (r.state !== 'returned') return undefined;
    markCardRefundDone(rt, stepPrefix);
    const card = noteCardRefund(rt, { refundId: r.refundId, status: r.status, chargeId: r.chargeId, refunded: r.refunded });
    rt.moneyOutcome = `${formatMoney(card.refunded.amountMinor, card.refunded.currency)} refunded to the card (QuickBooks Payments refund ${card.refundId} ${card.status}, ledger entry ${ref} settled), but the RefundReceipt was not recorded: record it by hand with DocNumber ${ref}`;
    return card;
  } catch {
    if (recordOutcome) rt.writeOutcomes.set(step, recordOutcome);
    rt.moneyOutcome = `${shown}: the card refund's outcome is unknown (ledger entry ${ref}); check the charge's refunds in QuickBooks Payments`;
    return undefined;
  }
}

/** The path of cases that started before the ledger (their histories take a lock first). */
async function moveMoneyUnderLock(
  rt: CaseRuntime,
  order: RefundOrder,
  stepPrefix: string,
): Promise<{ record: RefundRecord } | { state: CaseState }> {
  const { lockMoney, unlockMoney, checkMoney, moveMoney: record } = rt.acts;
  rt.setStatus(CaseStatus.Executing);
  const shown = formatMoney(order.amount.amountMinor, order.amount.currency);
  const base = {
    kind: order.kind,
    customerId: order.customerId,
    amount: order.amount,
    ...(order.invoiceNumber ? { invoiceNumber: order.invoiceNumber } : {}),
    authority: order.authority,
  };
  const step = `${stepPrefix}.record`;
  const lock = await lockMoney({
    step: `${stepPrefix}.lock`,
    customerId: order.customerId,
    ...(order.invoiceNumber ? { invoiceNumber: order.invoiceNumber } : {}),
  });
  type Outcome = { record: RefundRecord; policyVersion: string } | { refused: Refused } | { state: CaseState };
  let outcome: Outcome;
  try {
    outcome = await (async (): Promise<Outcome> => {
      let payTokenId: string | undefined;
      if (order.paysThroughSkyfire) {
        // Before the Skyfire leg reserves anything: the same checks the write makes.
        const check = await checkMoney({ step, ...base });
        if (check.status === 'refused') return { refused: check };
        const paid = await payThroughSkyfire(rt, order, stepPrefix);
        if ('state' in paid) return paid;
        payTokenId = paid.payTokenId;
      }
      const res = await record({
        step,
        ...base,
        privateNote: rt.note('quickbooks') + (payTokenId ? `\nSkyfire pay token ${payTokenId}` : ''),
      });
      if (res.status === 'refused') return { refused: res };
      // Cases from before the ledger never take the card route (their orders do not ask for it).
      if (res.status === 'card' || res.status === 'reserved') throw new Error(`a case from before the ledger met a ${res.status} answer`);
      return { record: res.record, policyVersion: res.policyVersion };
    })();
  } finally {
    // Released even when the case is being cancelled, so no other case waits for the lease.
    await CancellationScope.nonCancellable(() => unlockMoney(lock));
  }
  if ('state' in outcome) return outcome;
  if ('refused' in outcome) return { state: await refusedEnding(rt, outcome.refused, shown) };
  const r = outcome.record;
  rt.addRecord(r);
  rt.facts.push(`${r.object} ${r.id} recorded for ${shown} (rules re-checked under policy ${outcome.policyVersion})`);
  rt.setHandoff({ destinationObject: r, ...(r.url ? { recordUrl: r.url } : {}) });
  return { record: r };
}

/** What the customer reads when the money path refused: no internal detail beyond what is theirs. */
function publicRefusal(code: MoneyRefusal, kind: RefundOrder['kind']): string {
  if (kind === 'balance_credit')
    return code === MoneyRefusal.BalanceAlreadyCredited || code === MoneyRefusal.ExceedsOpenBalance
      ? 'We checked this request against our records: the open balance of the invoice has already been credited or paid (in full or in part), so no further credit was given for this request. Reply to this ticket if you think this is wrong.'
      : 'We could not credit the invoice after checking our records, and nothing was changed on it. Reply to this ticket if you have questions.';
  switch (code) {
    case MoneyRefusal.NothingPaid:
      return 'We checked this request against our records: nothing has been paid on this invoice, so there was no payment to refund and no refund was issued. Reply to this ticket if you think this is wrong.';
    case MoneyRefusal.AlreadyRefunded:
    case MoneyRefusal.ExceedsAmountPaid:
      return 'We checked this request against our records: the payment has already been refunded, or a refund of it is under way (in full or in part), so no further refund was issued for this request. Reply to this ticket if you think this is wrong.';
    default:
      return 'We could not issue this refund after checking our records, and no money has moved. Reply to this ticket if you have questions.';
  }
}

async function refusedEnding(
  rt: CaseRuntime,
  refused: Refused,
  shown: string,
  kind: RefundOrder['kind'] = 'refund_receipt',
): Promise<CaseState> {
  const credit = kind === 'balance_credit';
  const why = `${moneyRefusalText(refused.code)}: ${refused.reason}`;
  const reason = `not ${credit ? 'credited' : 'refunded'}: ${refused.reason} (money path, policy ${refused.policyVersion})`;
  rt.facts.push(`Money path refused ${shown}: ${why}`);
  rt.setHandoff({ nextStep: `None: nothing was ${credit ? 'credited' : 'refunded'}; a person may follow up with the customer` });
  await noteTicket(
    rt,
    'money.refused.note',
    credit
      ? `Credit of ${shown} against the invoice not given. ${why}.\nNothing changed in QuickBooks.`
      : `Refund of ${shown} not issued. ${why}.\nNo money moved.`,
  );
  await noteTicket(rt, 'money.refused.public', publicRefusal(refused.code, kind), true);
  const message = rt.current?.pending.slackMessage;
  const policy = await rt.policy();
  if (message) {
    await rt.acts.postApprovalReminder({
      step: 'money.refused.slack',
      message,
      text: credit ? `Not credited: ${refused.reason}. Nothing changed in QuickBooks.` : `Not refunded: ${refused.reason}. No money moved.`,
      mentions: [],
    });
  } else {
    await rt.acts.postFinanceAlert({
      step: 'money.refused.alert',
      channel: policy.financeChannel,
      view: {
        workflowId: rt.workflowId,
        title: `${credit ? 'Credit not given' : 'Refund not issued'}: ${shown}`,
        urgency: 'normal',
        noteLines: rt.note('slack').split('\n'),
        fields: [{ label: 'Why', value: why }],
        mentions: [],
        links: rt.links(),
      },
    });
  }
  return rt.finish(CaseStatus.Rejected, reason);
}
