/**
 * Business steps several case workflows share: loading the account, the case's Zendesk ticket,
 * the needs-attention ending, and the case body's endings (runCase).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TemporalFailure,
  isCancellation,
  log,
  patched,
} from '@temporalio/workflow';
import type { ContactSummary, CustomerSummary, InvoiceSummary, OwnerSummary } from '../activities/contract';
import { CaseStatus } from '../domain/case';
import { isVip } from '../policy/refund';
import { checkRecipient } from '../policy/verified-email';
import { FINAL_TICKET_PATCH, INVALID_CASE_INPUT_ERROR_TYPE, type CaseRuntime } from './case-runtime';
import type { CaseState, RecordRef } from './messages';

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
  const skyfire = oldRoute === newRoute || patched('payment-route-from-crm') ? newRoute : oldRoute;
  if (said && said !== recorded)
    rt.facts.push(
      `The caller said they pay through ${fields.paymentPlatform}; the CRM says ${recorded || 'nothing'}, and its route is used`,
    );
  if (owner) rt.setHandoff({ owner: owner.slackUserId ?? `hubspot-owner:${owner.id}`, ...(owner.name ? { ownerName: owner.name } : {}) });
  return { customer, contact, owner, vip: isVip(fields.customerTier) || isVip(contact?.tier), paysThroughSkyfire: skyfire };
}

/** The verified-email rule over every address on file. */
export function recipientFor(rt: CaseRuntime, account: AccountContext, invoice?: InvoiceSummary | null) {
  return checkRecipient(rt.input.fields.customerEmail, [invoice?.billEmail, account.customer?.primaryEmail, account.contact?.email]);
}

/** Opens (or reuses the call's) Zendesk ticket with the billing note as internal note. */
export async function openCaseTicket(rt: CaseRuntime, subject: string, publicComment: string): Promise<RecordRef> {
  const existing = rt.input.fields.supportTicket;
  const ticket = await rt.acts.openTicket({
    step: 'ticket.open',
    subject,
    publicComment,
    internalNote: rt.note('zendesk'),
    priority: rt.state.handoff.urgency,
    ...(rt.input.fields.customerEmail ? { requesterEmail: rt.input.fields.customerEmail } : {}),
    ...(existing && /^\d+$/.test(existing) ? { existingTicketId: existing } : {}),
    tags: ['billing', rt.input.caseType],
  });
  rt.ticket = ticket;
  rt.addRecord(ticket);
  return ticket;
}

/** A comment on the case's ticket (internal unless `isPublic`); no-op when the case has none. */
export async function noteTicket(rt: CaseRuntime, step: string, body: string, isPublic = false): Promise<void> {
  if (!rt.ticket) return;
  await rt.acts.addTicketNote({ step, ticketId: rt.ticket.id, body, public: isPublic });
}

/**
 * The case's own "done" note on its ticket, for cases started before the final ticket update
 * (FINAL_TICKET_PATCH); newer cases get the final note from `finish()`, written as the case ends,
 * so it never shows the status it had while the last step ran.
 */
export async function doneNote(rt: CaseRuntime, step: string): Promise<void> {
  if (patched(FINAL_TICKET_PATCH)) return;
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
  if (!contactId || !patched('final-crm-note')) return;
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
    return await body();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => rt.cancel());
      throw err;
    }
    if (!(err instanceof TemporalFailure)) throw err;
    if (err instanceof ApplicationFailure && err.type === INVALID_CASE_INPUT_ERROR_TYPE) throw err;
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

/** Milliseconds until the call's follow-up deadline, or the policy's default wait when it named none (or nonsense). */
export function followUpDelayMs(rt: CaseRuntime): { delayMs: number; deadline: string } {
  const named = rt.input.fields.followUpDeadline ? Date.parse(rt.input.fields.followUpDeadline) : NaN;
  const at = Number.isFinite(named) ? named : Date.now() + rt.input.policy.defaultFollowUpMs;
  return { delayMs: Math.max(0, at - Date.now()), deadline: new Date(at).toISOString() };
}
