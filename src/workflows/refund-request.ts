/**
 * `refund_request` (product.md §4): automate only inside policy; otherwise Slack approval (two
 * distinct approvers above the two-person threshold); on approval record the refund (QuickBooks
 * RefundReceipt, or CreditMemo for a credit; through Skyfire for accounts that pay through it);
 * confirm to the customer. The final timeout fails closed: no money moves.
 */
import type { CaseInput } from '../domain/case';
import { CaseStatus } from '../domain/case';
import { refundAutomation } from '../policy/refund';
import { requiredApprovals } from '../policy/thresholds';
import { APPROVE_REJECT, humanDuration, requestApproval, financeReview } from './approval';
import { CaseRuntime, formatMoney } from './case-runtime';
import type { CaseState } from './messages';
import { executeRefund, loadAccount, needsAttention, noteTicket, openCaseTicket, recipientFor, runCase } from './steps';

export async function refundRequest(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input); // annotated: lets `never`-returning checks narrow
  return runCase(rt, async () => {
    const { fields, policy } = input;
    const amount = fields.amount;
    if (!amount || !Number.isInteger(amount.amountMinor) || amount.amountMinor <= 0) rt.invalidInput('a refund needs a positive amount in minor units');
    if (!fields.accountId) rt.invalidInput('a refund needs the account_id');
    const shown = formatMoney(amount.amountMinor, amount.currency);

    rt.setStatus(CaseStatus.Gathering);
    const { findInvoice, hasEarlierRefund, sendCustomerEmail } = rt.acts;
    const [account, invoice] = await Promise.all([loadAccount(rt, { owner: true }), fields.invoiceNumber ? findInvoice({ invoiceNumber: fields.invoiceNumber }) : null]);
    const earlier =
      account.customer && fields.invoiceNumber ? await hasEarlierRefund({ customerId: account.customer.id, invoiceNumber: fields.invoiceNumber }) : { found: false, records: [] };
    if (invoice) rt.facts.push(`Invoice ${invoice.docNumber}: total ${formatMoney(invoice.total.amountMinor, invoice.total.currency)}, balance ${formatMoney(invoice.balance.amountMinor, invoice.balance.currency)}`);
    if (earlier.found) rt.facts.push(`An earlier refund exists on ${fields.invoiceNumber}: ${earlier.records.map((r) => `${r.object} ${r.id}`).join(', ')}`);
    if (account.vip) rt.facts.push('VIP customer');
    if (account.paysThroughSkyfire) rt.facts.push('Pays through Skyfire');

    await openCaseTicket(rt, `Your ${fields.creditRequest ? 'credit' : 'refund'} request (${shown})`, `We received your request for a ${fields.creditRequest ? 'credit' : 'refund'} of ${shown}. Our finance team will confirm it here.`);
    if (!account.customer) return needsAttention(rt, `account ${fields.accountId} not found in QuickBooks: the refund cannot be recorded`);

    const invoicePaid = invoice
      ? { amountMinor: invoice.total.amountMinor - invoice.balance.amountMinor, currency: invoice.total.currency }
      : fields.invoiceNumber
        ? null
        : undefined;
    const policyDecision = refundAutomation(input, { vip: account.vip, earlierRefund: earlier.found, invoicePaid });
    if (policyDecision.automate) {
      rt.facts.push(`Automated inside policy (limit ${formatMoney(policyDecision.limitMinor, amount.currency)})`);
    } else {
      const required = requiredApprovals(amount.amountMinor, policy);
      rt.facts.push(`Review needed: ${policyDecision.blockers.join(', ')}`);
      rt.setHandoff({ owner: 'finance', nextStep: `Approve or reject the refund (${required} approver${required > 1 ? 's' : ''})` });
      const closure = await requestApproval(rt, {
        kind: 'refund',
        step: 'refund.approval',
        title: `${fields.creditRequest ? 'Credit' : 'Refund'} approval: ${shown}${fields.invoiceNumber ? ` on ${fields.invoiceNumber}` : ''}`,
        fields: [
          { label: 'Amount', value: shown },
          { label: 'Account', value: fields.accountId },
          ...(fields.invoiceNumber ? [{ label: 'Invoice', value: fields.invoiceNumber }] : []),
          ...(fields.refundReason ? [{ label: 'Reason', value: fields.refundReason }] : []),
          { label: 'Why review', value: policyDecision.blockers.join(', ') },
          ...(invoicePaid && policyDecision.blockers.includes('exceeds_amount_paid')
            ? [{ label: 'Warning', value: `exceeds what was paid on ${fields.invoiceNumber} (${formatMoney(invoicePaid.amountMinor, invoicePaid.currency)})` }]
            : []),
          { label: 'Paid through', value: account.paysThroughSkyfire ? 'Skyfire' : 'QuickBooks' },
          { label: 'Approvals needed', value: String(required) },
        ],
        actions: APPROVE_REJECT,
        ...financeReview(policy),
        required,
        urgency: account.vip ? 'high' : rt.state.handoff.urgency,
        mentions: account.owner?.slackUserId ? [account.owner.slackUserId] : [],
      });
      if (closure.kind === 'expired') {
        const reason = `no decision within ${humanDuration(policy.approvalTimeoutMs)}: failed closed, no money moved`;
        await noteTicket(rt, 'refund.expired.note', `Refund not approved in time (${reason}).`);
        await noteTicket(rt, 'refund.expired.public', 'We could not complete the review of your request in time, so no refund has been made yet. A member of our finance team will contact you.', true);
        return rt.finish(CaseStatus.Expired, reason);
      }
      if (closure.kind === 'decided') {
        const reason = `rejected by ${closure.vote.actor.name ?? closure.vote.actor.id}${closure.vote.reason ? `: ${closure.vote.reason}` : ''}`;
        await noteTicket(rt, 'refund.rejected.note', `Refund ${reason}.`);
        await noteTicket(rt, 'refund.rejected.public', 'After review, we are not able to issue this refund. Reply to this ticket if you have questions.', true);
        return rt.finish(CaseStatus.Rejected, reason);
      }
      rt.facts.push(`Approved by ${closure.votes.map((v) => v.actor.name ?? v.actor.id).join(' and ')}`);
    }

    const result = await executeRefund(rt, {
      customerId: account.customer.id,
      amount,
      ...(fields.invoiceNumber ? { invoiceNumber: fields.invoiceNumber } : {}),
      kind: fields.creditRequest ? 'credit_memo' : 'refund_receipt',
      paysThroughSkyfire: account.paysThroughSkyfire,
      mentions: [...policy.approvers, ...(account.owner?.slackUserId ? [account.owner.slackUserId] : [])],
    });
    if ('state' in result) return result.state;

    const what = fields.creditRequest ? `A credit of ${shown} has been added to your account` : `Your refund of ${shown} has been issued`;
    await noteTicket(rt, 'refund.confirm.public', `${what} (reference ${result.record.id}).`, true);
    const to = recipientFor(rt, account, invoice);
    if (to.status === 'verified') {
      const email = await sendCustomerEmail({ step: 'refund.confirm.email', to: to.to, subject: `${what}`, body: `${what} (reference ${result.record.id}).\n\nDialNexa call ${rt.callId}.` });
      rt.addRecord(email);
    } else {
      // Only a verified address gets mail; the ticket comment above reaches the customer anyway.
      rt.facts.push('Confirmation sent through the ticket only (no verified email)');
    }
    rt.setHandoff({ nextStep: 'None: refund recorded and confirmed' });
    await noteTicket(rt, 'refund.done.note', rt.note('zendesk'));
    return rt.finish(CaseStatus.Completed);
  });
}
