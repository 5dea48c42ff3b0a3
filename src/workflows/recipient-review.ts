/**
 * Where an invoice or a receipt goes (verified-email rule): the email on file, or an address the
 * caller gave that finance approved in a review. Slack never shows the requested address: the
 * reviewer reads it in the Zendesk ticket's internal note. One review for every document send
 * (invoice_resend, receipt_request).
 */
import { CaseStatus } from '../domain/case';
import type { CaseState } from '../domain/case-state';
import type { RecipientApproval } from '../domain/records';
import { humanDuration } from '../policy/format';
import { ReviewReason } from '../policy/review';
import type { RecipientCheck } from '../policy/verified-email';
import { reviewReasonText } from '../policy/wording';
import { APPROVE_REJECT, requestApproval, financeReview } from './approval';
import type { CaseRuntime } from './case-runtime';
import type { ApprovalClosure } from './approval';
import { needsAttention, noteTicket } from './steps';

export async function reviewRecipient(rt: CaseRuntime, what: string): Promise<ApprovalClosure> {
  const { policy } = rt.input;
  rt.facts.push(`Review needed: ${reviewReasonText(ReviewReason.UnverifiedRecipient)} (the caller asked for an address not on file)`);
  await noteTicket(
    rt,
    'recipient.review.note',
    `The caller asked to send ${what} to an address that is not on file: ${rt.input.fields.customerEmail ?? '(none)'}. Finance reviews it in Slack.`,
  );
  rt.setHandoff({ owner: 'finance', nextStep: 'Approve or reject sending to an address not on file' });
  return requestApproval(rt, {
    kind: 'recipient',
    step: 'recipient.approval',
    title: `${what}: send to an address not on file?`,
    fields: [
      { label: 'Requested address', value: 'Not on file (see the ticket; not shown in Slack)' },
      { label: 'Account', value: rt.input.fields.accountId ?? 'unknown' },
      { label: 'Why review', value: reviewReasonText(ReviewReason.UnverifiedRecipient) },
    ],
    actions: APPROVE_REJECT,
    nextStepAfterApproval: `Send ${what} to the requested address`,
    ...financeReview(await rt.policy(), policy),
    required: 1,
    urgency: rt.state.handoff.urgency,
  });
}

/** Where a document went, in the customer's words: the address on file, or the one they gave and finance approved. */
export function sentToText(sentTo: 'on_file' | 'approved'): string {
  return sentTo === 'approved' ? 'the email address you gave us, after our review' : 'the billing email we have on file';
}

/** What a document send says at each turn of the review. */
export interface RecipientWords {
  /** The document as the review request names it, e.g. `Invoice 1042`. */
  what: string;
  /** `invoice` / `receipt`, in the customer's note when the review expires. */
  document: string;
  /** Why the case needs attention when there is no email at all. */
  noneOnFile: string;
  /** The customer's note when finance rejects the address. */
  rejectedPublic: string;
}

/** The address to send to (with the approval when it is not on file), or how the case ended without sending. */
export type RecipientDecision = { to: string; approval?: RecipientApproval } | { ended: CaseState };

/**
 * The recipient of a document: the email on file when the caller's matches one (or gave none);
 * none at all -> needs attention; an address not on file -> finance reviews it, and an expired or
 * rejected review ends the case with nothing sent (the customer is told on the ticket).
 */
export async function decideRecipient(rt: CaseRuntime, check: RecipientCheck, words: RecipientWords): Promise<RecipientDecision> {
  if (check.status === 'verified') return { to: check.to };
  if (check.status === 'none') return { ended: await needsAttention(rt, words.noneOnFile) };
  const review = await reviewRecipient(rt, words.what);
  if (review.kind === 'expired') {
    await noteTicket(
      rt,
      'recipient.expired.public',
      `We could not verify the address you gave in time, so the ${words.document} was not sent. Your request stays open on this ticket, assigned to a member of our finance team, who will reply here.`,
      true,
    );
    return {
      ended: await rt.finish(
        CaseStatus.Expired,
        `no decision within ${humanDuration(rt.input.policy.approvalTimeoutMs)} on an address not on file: nothing sent`,
      ),
    };
  }
  if (review.kind === 'decided') {
    await noteTicket(rt, 'recipient.rejected.public', words.rejectedPublic, true);
    return {
      ended: await rt.finish(
        CaseStatus.Rejected,
        `address not on file rejected by ${review.vote.actor.name ?? review.vote.actor.id}: nothing sent`,
      ),
    };
  }
  // The approval is the authority the activity checks (its proofs) before it sends off file.
  return { to: check.requested, approval: { requestId: review.requestId, escalated: review.escalated, votes: review.votes } };
}
