/**
 * The owned leg of a refund for customers who pay outside QuickBooks Payments and Skyfire (a card
 * processor elsewhere, a bank transfer, a check: the CRM's `payment_platform`). The service cannot
 * return that money itself, so a person owns it: a HubSpot task for the account owner with a due
 * date, and a finance message with a "Money returned" button. The button is a decision like an
 * approval (signed by the API, checked by the gate against the finance approvers and against this
 * request's subject, kind `refund_returned`, so a click meant for another case, request or amount
 * is refused). Until it is clicked the ledger entry stays pending (money may be leaving); the case
 * waits durably with the approvals' reminders and escalation. Confirmed -> the entry settles on the
 * confirmation and the RefundReceipt is recorded; nobody confirms in time -> needs attention, the
 * reservation kept.
 *
 * A customer who pays through QuickBooks (or whom the CRM names no platform for) gets this leg too
 * when no QuickBooks Payments charge paid the invoice (a check, a bank transfer: QuickBooks only
 * recorded the payment): the money went nowhere the service can send it back from, so the texts say
 * "the way the customer paid" instead of naming a platform.
 */
import { CaseStatus } from '../domain/case';
import { DecisionAction } from '../domain/decision';
import type { MoneyEntryView } from '../activities/money-contract';
import type { RecordRef, CaseState } from '../domain/case-state';
import { financeReview, requestApproval } from './approval';
import { currencyExponent, formatMoney } from '../domain/money';
import type { CaseRuntime } from './case-runtime';
import type { RefundOrder } from './refund-order';
import { noteTicket } from './steps';

/** The money a person returned outside the service, and who confirmed it. */
export interface OwnedReturn {
  /** The CRM's payment platform, or a description of the way the invoice was paid (`named` false). */
  platform: string;
  /** False when the CRM names QuickBooks or nothing: the invoice was paid outside QuickBooks Payments. */
  named: boolean;
  confirmedBy: string;
  task?: RecordRef;
}

/**
 * The return as the ledger already holds it (settled on an earlier confirmation): a reset or a
 * retried step of a case whose money was confirmed returned says so again, never "issued".
 */
export function returnedEarlier(order: RefundOrder, entry: MoneyEntryView): OwnedReturn {
  const crm = (order.paymentPlatform ?? '').trim();
  const named = !['', 'quickbooks'].includes(crm.toLowerCase());
  const by = /confirmed by ([^;,(]+)/.exec(entry.evidence ?? '')?.[1]?.trim();
  return {
    platform: named ? (order.paymentPlatform ?? 'another platform') : 'the way the customer paid the invoice',
    named,
    confirmedBy: by ?? 'finance (confirmed earlier)',
  };
}

export async function returnByOwner(
  rt: CaseRuntime,
  order: RefundOrder,
  stepPrefix: string,
  entry: MoneyEntryView,
): Promise<OwnedReturn | { state: CaseState }> {
  const shown = formatMoney(order.amount.amountMinor, order.amount.currency);
  const crm = (order.paymentPlatform ?? '').trim();
  // QuickBooks or nothing in the CRM: the reservation found no QuickBooks Payments charge on the invoice.
  const named = !['', 'quickbooks'].includes(crm.toLowerCase());
  const platform = named ? (order.paymentPlatform ?? 'another platform') : 'the way the customer paid the invoice';
  // The named texts are the ones cases on another platform have always written (kept word for word).
  // Why the service cannot send it back itself: no card charge paid the invoice, or one did in a
  // currency the Payments API does not take (two-decimal amounts only; money.ts reserveMoney).
  const cur = order.amount.currency;
  const why =
    currencyExponent(cur) === 2
      ? {
          short: 'no QuickBooks Payments charge paid the invoice',
          long: 'no QuickBooks Payments card charge paid the invoice (a check, a bank transfer or another payment QuickBooks only recorded)',
          field: 'QuickBooks, not by a QuickBooks Payments charge (check, transfer or other)',
        }
      : {
          short: `the service does not refund ${cur} through QuickBooks Payments`,
          long: `the service does not refund ${cur} through QuickBooks Payments (it takes two-decimal amounts), whichever way the customer paid`,
          field: `QuickBooks (${cur}: not refunded through QuickBooks Payments by the service)`,
        };
  const through = named ? `through ${platform}` : `the way the customer paid (${why.short})`;
  const policy = await rt.policy();
  const review = financeReview(policy, rt.input.policy);
  const dueAt = new Date(Date.now() + review.timeoutMs).toISOString();
  const ownerName = order.owner?.name ?? (order.owner ? `HubSpot owner ${order.owner.id}` : 'finance');
  let task: RecordRef | undefined;
  if (order.owner) {
    task = await rt.acts.createOwnerTask({
      step: `${stepPrefix}.return.task`,
      ownerId: order.owner.id,
      ...(order.contactId ? { contactId: order.contactId } : {}),
      subject: `Return ${shown} to the customer ${through}`.slice(0, 250),
      body: `An approved refund of ${shown}${order.invoiceNumber ? ` on invoice ${order.invoiceNumber}` : ''} must be returned ${named ? `through ${platform}, where the customer paid` : `the way the customer paid: ${why.long}, so nothing the service holds returns it`}. Then click "Money returned" on the finance message; until then the customer is not told and ledger entry ${entry.ref} stays reserved.`,
      dueAt,
    });
    rt.addRecord(task);
  }
  rt.facts.push(`Refund of ${shown} to be returned ${through}: owned by ${ownerName}, due ${dueAt}`);
  await noteTicket(
    rt,
    `${stepPrefix}.return.note`,
    named
      ? `Refund of ${shown} approved; the customer paid through ${platform}, so ${ownerName} returns it there (due ${dueAt}). The customer is told once finance confirms the money was returned.`
      : `Refund of ${shown} approved; ${why.long}, so ${ownerName} returns it the way the customer paid (due ${dueAt}). The customer is told once finance confirms the money was returned.`,
  );
  const closure = await requestApproval(rt, {
    kind: 'refund_returned',
    step: `${stepPrefix}.return`,
    title: `Return ${shown} to the customer ${through}`,
    fields: [
      { label: 'Amount', value: shown },
      ...(order.invoiceNumber ? [{ label: 'Invoice', value: order.invoiceNumber }] : []),
      { label: 'Paid through', value: named ? platform : why.field },
      { label: 'Owner', value: ownerName },
      ...(task ? [{ label: 'HubSpot task', value: task.url ?? task.id }] : []),
      { label: 'Ledger entry', value: entry.ref },
    ],
    actions: [{ action: DecisionAction.Approve, label: 'Money returned', style: 'primary' }],
    countingAction: DecisionAction.Approve,
    nextStepAfterApproval: 'Record the refund in QuickBooks and tell the customer',
    ...review,
    required: 1,
    // Bound like an approval: a click carries this subject, and only this request's subject counts.
    subject: {
      amountMinor: order.amount.amountMinor,
      currency: order.amount.currency,
      ...(order.invoiceId ? { invoiceId: order.invoiceId } : {}),
      kind: 'refund_returned',
    },
    urgency: 'high',
    mentions: [...(order.owner?.slackUserId ? [order.owner.slackUserId] : [])],
  });
  if (closure.kind !== 'approved') {
    const reason = `refund of ${shown} ${through} is owned by ${ownerName}${task ? ` (HubSpot task ${task.id})` : ''} and was not confirmed returned; ledger entry ${entry.ref} stays reserved`;
    rt.moneyOutcome = `${shown}: ${reason}`;
    await noteTicket(rt, `${stepPrefix}.return.unconfirmed`, `${reason}. The customer was not told it was issued.`);
    return { state: await rt.finish(CaseStatus.NeedsAttention, reason) };
  }
  const r = await rt.acts.confirmReturned({
    step: `${stepPrefix}.record`,
    platform,
    requestId: closure.requestId,
    votes: closure.votes,
  });
  if (r.state !== 'settled') {
    const reason = `the "Money returned" confirmation for ${shown} was not accepted: ${r.reason}; ledger entry ${entry.ref} stays reserved`;
    return { state: await rt.finish(CaseStatus.NeedsAttention, reason) };
  }
  rt.facts.push(`Money returned ${through}: confirmed by ${r.confirmedBy}`);
  return { platform, named, confirmedBy: r.confirmedBy, ...(task ? { task } : {}) };
}
