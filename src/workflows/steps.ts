/**
 * Business steps several case workflows share: loading the account, the case's Zendesk ticket,
 * the needs-attention ending, and the case body's endings (runCase).
 */
import { ActivityFailure, ApplicationFailure, CancellationScope, TemporalFailure, isCancellation, log } from '@temporalio/workflow';
import type { ContactSummary, CustomerSummary, InvoiceSummary, OwnerSummary } from '../domain/records';
import { CaseStatus } from '../domain/case';
import { isVip } from '../policy/refund';
import { checkRecipient } from '../policy/verified-email';
import { FINAL_TICKET_PATCH, INVALID_CASE_INPUT_ERROR_TYPE, type CaseRuntime } from './case-runtime';
import { deadlineInstant, humanDate } from '../policy/dates';
import type { CaseState, RecordRef } from '../domain/case-state';
import { reviewIntake } from './intake-review';

/** What the systems of record say about the caller's account. */
export interface AccountContext {
  customer: CustomerSummary | null;
  contact: ContactSummary | null;
  owner: OwnerSummary | null;
  vip: boolean;
  paysThroughSkyfire: boolean;
}

/**
 * QuickBooks customer, HubSpot contact and (optionally) owner for the case's account. Lookups that
 * do not depend on each other run at once: with real SaaS latency each one is hundreds of ms.
 */
export async function loadAccount(rt: CaseRuntime, opts: { owner?: boolean; customerId?: string } = {}): Promise<AccountContext> {
  const { fields } = rt.input;
  const { getCustomer, findContact, getOwner } = rt.acts;
  const [customer, contactByCallAccount] = await Promise.all([
    fields.accountId || opts.customerId ? getCustomer({ accountId: fields.accountId, customerId: opts.customerId }) : null,
    fields.accountId ? findContact({ accountId: fields.accountId }) : null,
  ]);
  // Without an account id on the call, the customer found by id names it.
  const accountId = fields.accountId ?? customer?.accountId;
  const contact = fields.accountId ? contactByCallAccount : accountId ? await findContact({ accountId }) : null;
  const owner = opts.owner && contact?.ownerId ? await getOwner({ ownerId: contact.ownerId }) : null;
  // The payment route is the CRM's, never the caller's (issue 21): a caller who says "skyfire" does
  // not move a QuickBooks customer's refund through the wallet. What the caller said stays a fact.
  // The patch is asked only where old and new code take different routes (the caller contradicts
  // the CRM about Skyfire): a patch marker costs a search-attribute upsert (TemporalChangeVersion).
  const recorded = (contact?.paymentPlatform ?? '').trim().toLowerCase();
  const said = (fields.paymentPlatform ?? '').trim().toLowerCase();
  const oldRoute = (fields.paymentPlatform ?? contact?.paymentPlatform ?? '').toLowerCase() === 'skyfire';
  const newRoute = recorded === 'skyfire';
  const skyfire = oldRoute === newRoute || rt.patched('payment-route-from-crm') ? newRoute : oldRoute;
  if (said && said !== recorded)
    rt.facts.push(
      `The caller said they pay through ${fields.paymentPlatform}; the CRM says ${recorded || 'nothing'}, and its route is used`,
    );
  if (owner) rt.setHandoff({ owner: owner.slackUserId ?? `hubspot-owner:${owner.id}`, ...(owner.name ? { ownerName: owner.name } : {}) });
  const account = {
    customer,
    contact,
    owner,
    vip: isVip(fields.customerTier) || isVip(contact?.tier),
    paysThroughSkyfire: skyfire,
  };
  accounts.set(rt, account);
  return account;
}

/** The account each case loaded (openCaseTicket needs who the customer is on file). Keyed by the case's runtime. */
const accounts = new WeakMap<CaseRuntime, AccountContext>();
/** Cases whose ticket must stay internal (no verified email on file): keyed by the case's runtime. */
const internalOnly = new WeakSet<CaseRuntime>();

/** Why a public comment was kept internal, on the ticket itself. */
export const KEPT_INTERNAL_PREFIX = 'Not sent to the caller (no verified email on file; internal note only):';

/** The verified-email rule over every address on file. */
export function recipientFor(rt: CaseRuntime, account: AccountContext, invoice?: InvoiceSummary | null) {
  return checkRecipient(rt.input.fields.customerEmail, [invoice?.billEmail, account.customer?.primaryEmail, account.contact?.email]);
}

/**
 * Opens the case's Zendesk ticket with the billing note as internal note, or reuses the ticket the
 * caller named when Zendesk says it is this customer's (requester or organization on file);
 * otherwise the case opens its own and finance hears why. The requester is the verified email on
 * file, never an address only the caller spoke; with none on file the ticket stays internal.
 */
export async function openCaseTicket(rt: CaseRuntime, subject: string, publicComment: string): Promise<RecordRef> {
  const { fields } = rt.input;
  const existing = fields.supportTicket;
  const account = accounts.get(rt);
  const onFile = [account?.customer?.primaryEmail, account?.contact?.email];
  const check = checkRecipient(fields.customerEmail, onFile);
  const requester = check.status === 'verified' ? check.to : check.status === 'unverified' ? check.onFile : undefined;
  const accountId = fields.accountId ?? account?.customer?.accountId;
  const ticket = await rt.acts.openTicket({
    step: 'ticket.open',
    subject,
    publicComment,
    internalNote: rt.note('zendesk'),
    priority: rt.state.handoff.urgency,
    ...(requester ? { requesterEmail: requester } : {}),
    ...(existing && /^\d+$/.test(existing) ? { existingTicketId: existing } : {}),
    owner: { ...(accountId ? { accountId } : {}), emails: onFile.filter((e): e is string => Boolean(e)) },
    tags: ['billing', rt.input.caseType],
  });
  rt.ticket = { system: ticket.system, object: ticket.object, id: ticket.id, ...(ticket.url ? { url: ticket.url } : {}) };
  rt.addRecord(rt.ticket);
  if (ticket.publicComments === false) internalOnly.add(rt);
  if (ticket.refusedTicketId) {
    rt.facts.push(`The caller named Zendesk ticket ${ticket.refusedTicketId}; it is not this customer's, so the case opened its own`);
    try {
      const money = await rt.policy();
      await rt.acts.postFinanceAlert({
        step: 'ticket.ownership.alert',
        channel: money.financeChannel,
        view: {
          workflowId: rt.workflowId,
          title: `Ticket not used: ${ticket.refusedTicketId} is not this customer's`,
          urgency: 'normal',
          noteLines: rt.note('slack').split('\n'),
          fields: [
            {
              label: 'Why',
              value: `The caller named Zendesk ticket ${ticket.refusedTicketId}. Zendesk says its requester and organization are not ${accountId ?? 'this customer'}'s on file, so nothing was written there.`,
            },
            { label: 'Ticket used instead', value: ticket.id },
          ],
          mentions: [],
          links: rt.links(),
        },
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The case goes on with its own ticket; the fact above stays in its note.
      log.error('ticket ownership alert failed', { error: errorMessage(err) });
    }
  }
  return rt.ticket;
}

/**
 * A comment on the case's ticket (internal unless `isPublic`); no-op when the case has none. A
 * ticket with no verified email on file takes no public comment: it becomes an internal note that says why.
 */
export async function noteTicket(rt: CaseRuntime, step: string, body: string, isPublic = false): Promise<void> {
  if (!rt.ticket) return;
  if (isPublic && internalOnly.has(rt)) {
    await rt.acts.addTicketNote({ step, ticketId: rt.ticket.id, body: `${KEPT_INTERNAL_PREFIX}\n${body}`, public: false });
    return;
  }
  await rt.acts.addTicketNote({ step, ticketId: rt.ticket.id, body, public: isPublic });
}

/**
 * A ticket comment the case's ending may carry (the refund's confirmation to the customer): kept
 * for the final ticket update (`finish()`'s `settleTicket`, or `cancel()`), which writes it under
 * this step's key: one Zendesk activity instead of two. Cases started before this change wrote it
 * at once with `addTicketNote` and replay that way (patch `ticket-final-public-comment`).
 */
export async function noteTicketAtEnd(rt: CaseRuntime, step: string, body: string, isPublic = false): Promise<void> {
  if (!rt.ticket) return;
  if (!rt.patched(FINAL_TICKET_PATCH) || !rt.patched('ticket-final-public-comment')) return noteTicket(rt, step, body, isPublic);
  const keptInternal = isPublic && internalOnly.has(rt);
  rt.endComment = { step, body: keptInternal ? `${KEPT_INTERNAL_PREFIX}\n${body}` : body, public: isPublic && !keptInternal };
}

/**
 * The case's own "done" note on its ticket, for cases started before the final ticket update
 * (FINAL_TICKET_PATCH); newer cases get the final note from `finish()`, written as the case ends,
 * so it never shows the status it had while the last step ran.
 */
export async function doneNote(rt: CaseRuntime, step: string): Promise<void> {
  if (rt.patched(FINAL_TICKET_PATCH)) return;
  await noteTicket(rt, step, rt.note('zendesk'));
}

/**
 * The last HubSpot note of a case that wrote one while it waited (collections, renewals): the note
 * as the case ends (final status, owner by name, next step, records). Patched
 * (`final-crm-note`): one more activity than cases started before it recorded.
 */
export async function finalCrmNote(
  rt: CaseRuntime,
  step: string,
  contactId: string | undefined,
  status: CaseStatus,
  dealId?: string,
): Promise<void> {
  if (!contactId || !rt.patched('final-crm-note')) return;
  rt.addRecord(await rt.acts.addCrmNote({ step, contactId, ...(dealId ? { dealId } : {}), body: rt.note('hubspot', { status }) }));
}

/**
 * Ends the case for a person to look at: the ticket says what happened and what was already done
 * outside, finance is alerted. Nothing is reversed automatically (money never moves back without a person).
 */
export async function needsAttention(rt: CaseRuntime, reason: string, publicComment?: string): Promise<CaseState> {
  rt.setStatus(CaseStatus.NeedsAttention, reason);
  rt.setHandoff({
    owner: rt.state.handoff.owner ?? 'finance',
    nextStep: 'A person reviews this case; nothing further happens automatically',
  });
  // What really happened to each outside write: a refused send is not "already done".
  const done = rt.writesBy('done');
  const refused = rt.writesBy('refused');
  const unknown = [...rt.writesBy('unknown'), ...rt.writesBy('running')];
  const doneText = [
    done.length > 0 ? `Already done outside: ${done.join(', ')}.` : 'Nothing was written outside yet.',
    refused.length > 0 ? `Refused by the system (not done): ${refused.join(', ')}.` : '',
    unknown.length > 0 ? `Outcome unknown (may have been written; check before redoing): ${unknown.join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join('\n');
  try {
    const money = await rt.policy();
    await noteTicket(rt, 'attention.note', `Needs attention: ${reason}\n${doneText}\n\n${rt.note('zendesk')}`);
    if (publicComment) await noteTicket(rt, 'attention.public', publicComment, true);
    await rt.acts.postFinanceAlert({
      step: 'attention.alert',
      channel: money.financeChannel,
      view: {
        workflowId: rt.workflowId,
        title: `Needs attention: ${rt.input.caseType.replace(/_/g, ' ')}`,
        urgency: 'high',
        noteLines: rt.note('slack').split('\n'),
        fields: [
          { label: 'Why', value: reason },
          { label: 'Already done', value: done.length > 0 ? done.join(', ') : 'nothing' },
          ...(refused.length > 0 ? [{ label: 'Refused (not done)', value: refused.join(', ') }] : []),
          ...(unknown.length > 0 ? [{ label: 'Outcome unknown', value: unknown.join(', ') }] : []),
        ],
        mentions: money.approvers,
        links: rt.links(),
      },
    });
  } catch (err) {
    // The case still ends in needs-attention (its status and search attribute say so); the log says the alert failed.
    log.error('needs-attention alert failed', { error: errorMessage(err) });
  }
  return rt.finish(CaseStatus.NeedsAttention, reason);
}

/**
 * Runs a case body and gives every ending its status:
 * - a business failure (an activity that gave up, a permanent error from a system: a Temporal
 *   failure) after an external write ends in needs-attention (ticket + alert); before any write it
 *   fails the case as is;
 * - a cancellation closes the open request (its Slack buttons go) and ends the case cancelled;
 * - anything else is a bug in workflow code (a TypeError, a broken invariant): it is rethrown as it
 *   is, so the workflow *task* fails and Temporal retries it until a fixed build is deployed; the
 *   case keeps its state and nothing is closed by mistake.
 */
export async function runCase(rt: CaseRuntime, body: () => Promise<CaseState>): Promise<CaseState> {
  try {
    // What the intake could not read or tell apart goes to a person before the case acts (issue 24).
    const stopped = await reviewIntake(rt);
    if (stopped) return stopped;
    return await body();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => rt.cancel());
      throw err;
    }
    if (!(err instanceof TemporalFailure)) throw err;
    if (err instanceof ApplicationFailure && err.type === INVALID_CASE_INPUT_ERROR_TYPE) {
      // Let go ahead at the intake review, but what was read is not enough to act on: a person takes it.
      if (rt.afterIntakeReview()) return needsAttention(rt, `the fields as read are not enough to act on: ${err.message}`);
      throw err;
    }
    if (rt.writes.length === 0) {
      rt.fail(errorMessage(err));
      throw err;
    }
    return needsAttention(rt, `a step failed after an earlier external write: ${errorMessage(err)}`);
  }
}

/** The error type of a failed activity (its named error class), if any. */
export function activityErrorType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  return undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ActivityFailure) return `${err.activityType ?? 'activity'} failed: ${err.cause?.message ?? err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** The call's follow-up deadline as the case uses it (issue 24 §7). */
export interface FollowUp {
  delayMs: number;
  /** ISO instant. */
  deadline: string;
  /** The time zone it is read and shown in: the account's (CRM), else the business's. */
  timeZone: string;
  /** The deadline for people: "Thu, Dec 10, 2026". */
  shown: string;
  /** The call named a deadline that had passed when it arrived: flag it to the owner, do not demand it from the customer. */
  pastOnArrival: boolean;
}

/**
 * The call's follow-up deadline, or the policy's default wait when it named none (or nonsense). A
 * date-only deadline is the end of that day in the account's time zone (HubSpot), else the
 * business time zone (BUSINESS_TIME_ZONE), not 00:00 UTC.
 */
export function followUpDelayMs(rt: CaseRuntime, account?: Pick<AccountContext, 'contact'>): FollowUp {
  const timeZone = account?.contact?.timeZone ?? rt.input.policy.businessTimeZone ?? 'UTC';
  const value = rt.input.fields.followUpDeadline;
  const named = value ? deadlineInstant(value, timeZone) : NaN;
  const at = Number.isFinite(named) ? named : Date.now() + rt.input.policy.defaultFollowUpMs;
  rt.ledger.timeZone = timeZone;
  return {
    delayMs: Math.max(0, at - Date.now()),
    deadline: new Date(at).toISOString(),
    timeZone,
    shown: humanDate(at, timeZone),
    pastOnArrival: Number.isFinite(named) && named < Date.parse(rt.input.receivedAt),
  };
}
