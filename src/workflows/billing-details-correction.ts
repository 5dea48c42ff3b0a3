/**
 * `billing_details_correction` (docs/product.md §4): a billing address change is always reviewed (it
 * changes legal and tax records); Slack shows old vs new; on approval a sparse QuickBooks Customer
 * update, which re-reads and retries on a stale SyncToken. Tax identifiers are never taken from a
 * call: tax details live in QuickBooks only.
 */
import { type CaseInput, type PostalAddress, CaseStatus } from '../domain/case';
import { reviewReasons } from '../policy/review';
import { reviewReasonsText } from '../policy/wording';
import { APPROVE_REJECT, requestApproval, financeReview } from './approval';
import { humanDuration } from '../policy/format';
import { CaseRuntime } from './case-runtime';
import type { CaseState } from '../domain/case-state';
import { loadAccount, needsAttention, noteTicket, openCaseTicket, runCase, doneNote } from './steps';

/** One line per address, for the old-vs-new view (a business address, not a personal contact detail). */
export function formatAddress(a: PostalAddress | undefined): string {
  if (!a) return '(none on file)';
  return [a.line1, a.line2, [a.city, a.region, a.postalCode].filter(Boolean).join(' '), a.country].filter(Boolean).join(', ');
}

export async function billingDetailsCorrection(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { fields, policy } = input;
    const next = fields.newBillingAddress;
    if (!fields.accountId) rt.invalidInput('a billing details correction needs the account_id');
    if (!next || !next.line1 || !next.city || !next.postalCode || !next.country)
      rt.invalidInput('a billing details correction needs new_billing_address with line1, city, postal_code and country');

    rt.setStatus(CaseStatus.Gathering);
    const account = await loadAccount(rt, { owner: true });
    if (input.suppressed.includes('tax_identifier'))
      rt.facts.push('A tax identifier was mentioned and removed: tax details are changed in QuickBooks only, never from a call');
    await openCaseTicket(
      rt,
      'Your billing address change',
      'We received your request to change the billing address. Our finance team reviews every change to billing records and will confirm here.',
    );
    if (!account.customer) return needsAttention(rt, `account ${fields.accountId} not found in QuickBooks`);
    const customer = account.customer;
    rt.setHandoff({
      destinationObject: { system: 'quickbooks', object: 'Customer', id: customer.id, ...(customer.url ? { url: customer.url } : {}) },
    });

    rt.facts.push(`Billing address change requested for customer ${customer.id}`);
    const money = await rt.policy();
    const closure = await requestApproval(rt, {
      kind: 'address_change',
      step: 'address.approval',
      title: `Billing address change: account ${fields.accountId}`,
      fields: [
        { label: 'Billing address', value: formatAddress(next), previous: formatAddress(customer.billAddress) },
        { label: 'Account', value: fields.accountId },
        // Always reviewed: it changes a legal and tax record; the other reasons are shown too.
        { label: 'Why review', value: reviewReasonsText(reviewReasons(input, { changesLegalRecord: true, vip: account.vip }, money)) },
        ...(input.suppressed.includes('tax_identifier')
          ? [{ label: 'Tax details', value: 'Not taken from the call; change them in QuickBooks if needed' }]
          : []),
      ],
      actions: APPROVE_REJECT,
      nextStepAfterApproval: 'Update the billing address in QuickBooks',
      ...financeReview(money, policy),
      required: 1,
      urgency: rt.state.handoff.urgency,
      mentions: account.owner?.slackUserId ? [account.owner.slackUserId] : [],
    });
    if (closure.kind === 'expired') {
      const reason = `no decision within ${humanDuration(policy.approvalTimeoutMs)}: failed closed, address unchanged`;
      await noteTicket(
        rt,
        'address.expired.public',
        'We could not complete the review of your address change in time, so your billing address is unchanged for now. Your request stays open on this ticket, assigned to a member of our finance team, who will reply here.',
        true,
      );
      return rt.finish(CaseStatus.Expired, reason);
    }
    if (closure.kind === 'decided') {
      const reason = `rejected by ${closure.vote.actor.name ?? closure.vote.actor.id}${closure.vote.reason ? `: ${closure.vote.reason}` : ''}`;
      await noteTicket(
        rt,
        'address.rejected.public',
        'After review, we did not change your billing address. Reply to this ticket if you have questions.',
        true,
      );
      return rt.finish(CaseStatus.Rejected, reason);
    }

    rt.setStatus(CaseStatus.Executing);
    const updated = await rt.acts.updateBillingAddress({ step: 'address.update', customerId: customer.id, address: next });
    rt.addRecord({ system: 'quickbooks', object: 'Customer', id: updated.customerId, ...(updated.url ? { url: updated.url } : {}) });
    rt.facts.push(`QuickBooks customer ${updated.customerId} billing address updated (SyncToken ${updated.syncToken})`);
    rt.setHandoff({ nextStep: 'None: address updated' });
    await noteTicket(rt, 'address.done.public', 'Your billing address has been updated.', true);
    await doneNote(rt, 'address.done.note');
    return rt.finish(CaseStatus.Completed);
  });
}
