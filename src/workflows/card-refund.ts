/**
 * The QuickBooks Payments leg of a refund (docs/workflows.md, "The money ledger"): for an invoice a
 * card charge made through QuickBooks Payments paid, the money goes back to that card through the
 * Payments API before the RefundReceipt is recorded (Intuit, "Refund charges"). The ledger entry is
 * reserved already; the refund is sent with a Request-Id derived from the entry, so a retried
 * attempt, a new worker or a `temporal workflow reset` gets Intuit's first answer, never a second
 * refund. New cases send it from `recordMoney`, which writes the RefundReceipt in the same attempt
 * once the refund is issued (patch `card-refund-in-record`); this leg takes over when it was not:
 * cases from before that patch call `refundCharge` here first. A refund not final yet is read again, durably, until it is; a declined one
 * releases the reservation and the case says no money moved.
 */
import { sleep } from '@temporalio/workflow';
import { CaseStatus } from '../domain/case';
import type { CardRefundView, MoneyEntryView, RefundChargeResult } from '../activities/money-contract';
import { formatMoney } from '../domain/money';
import type { CaseRuntime } from './case-runtime';
import type { CaseState } from '../domain/case-state';
import type { RefundOrder } from './refund-order';
import { noteTicket } from './steps';

/** First wait before reading a refund that is not final again; it doubles up to `MAX_POLL_MS`. */
const FIRST_POLL_MS = 15_000;
const MAX_POLL_MS = 30 * 60_000;
/** A refund still not final after this long goes to a person (the reservation is kept). */
const GIVE_UP_MS = 3 * 24 * 3_600_000;

/** Money on its way back to the customer's card. */
export type CardRefund = CardRefundView;

/** The case's record and fact of a card refund Intuit issued. */
export function noteCardRefund(rt: CaseRuntime, r: CardRefund): CardRefund {
  rt.addRecord({ system: 'quickbooks', object: 'payments_refund', id: r.refundId });
  rt.facts.push(
    `QuickBooks Payments refund ${r.refundId} ${r.status}: ${formatMoney(r.refunded.amountMinor, r.refunded.currency)} back to the card of charge ${r.chargeId}`,
  );
  return r;
}

export async function refundThroughPayments(
  rt: CaseRuntime,
  order: RefundOrder,
  stepPrefix: string,
  entry: MoneyEntryView,
  /** What `recordMoney` answered when it tried the card first and the refund was not issued. */
  first?: RefundChargeResult,
): Promise<CardRefund | { state: CaseState }> {
  const shown = formatMoney(order.amount.amountMinor, order.amount.currency);
  const stop = async (title: string, reason: string, noteExtra: string) => {
    await rt.acts.postFinanceAlert({
      step: `${stepPrefix}.payments.alert`,
      channel: (await rt.policy()).financeChannel,
      view: {
        workflowId: rt.workflowId,
        title,
        urgency: 'high',
        noteLines: rt.note('slack').split('\n'),
        fields: [
          { label: 'Refund', value: shown },
          { label: 'Ledger entry', value: entry.ref },
          ...(entry.chargeId ? [{ label: 'QuickBooks Payments charge', value: entry.chargeId }] : []),
        ],
        mentions: order.mentions,
        links: rt.links(),
      },
    });
    await noteTicket(rt, `${stepPrefix}.payments.note`, `${reason}. ${noteExtra}`);
    return { state: await rt.finish(CaseStatus.NeedsAttention, reason) };
  };
  const started = Date.now();
  let interval = FIRST_POLL_MS;
  for (;;) {
    const r = first ?? (await rt.acts.refundCharge({ step: `${stepPrefix}.record` }));
    first = undefined;
    if (r.state === 'returned') {
      // Without the activity's `state` field: `{ state }` is how the money path says the case ended.
      return noteCardRefund(rt, { refundId: r.refundId, status: r.status, chargeId: r.chargeId, refunded: r.refunded });
    }
    if (r.state === 'declined') {
      rt.moneyOutcome = `nothing moved: ${r.evidence} (ledger entry ${entry.ref} released)`;
      return stop(
        'Card refund declined',
        `Refund of ${shown} not made: ${r.evidence}; the reservation ${entry.ref} was released`,
        'No refund was recorded and the customer was not told it was issued; a person decides how to return the money.',
      );
    }
    if (Date.now() - started >= GIVE_UP_MS)
      return stop(
        'Card refund not final',
        `QuickBooks Payments refund ${r.refundId} of ${shown} is still ${r.status} after ${Math.round(GIVE_UP_MS / 3_600_000)} hours: money may be moving, so the reservation ${entry.ref} is kept`,
        'No refund was recorded and the customer was not told it was issued.',
      );
    // Timers survive restarts; workflow time replays the same.
    await sleep(interval);
    interval = Math.min(interval * 2, MAX_POLL_MS);
  }
}
