/**
 * Review of a document recipient that is not on file (verified-email rule). Slack never shows the
 * requested address: the reviewer reads it in the Zendesk ticket's internal note.
 */
import { ReviewReason } from '../policy/review';
import { reviewReasonText } from '../policy/wording';
import { APPROVE_REJECT, requestApproval, financeReview } from './approval';
import type { CaseRuntime } from './case-runtime';
import type { ApprovalClosure } from './approval';
import { noteTicket } from './steps';

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
