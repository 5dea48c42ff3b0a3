/**
 * `invoice_resend` (docs/product.md §4): find the invoice in QuickBooks; send it only to an email on
 * file (invoice BillEmail, QuickBooks customer, HubSpot contact); an address not on file goes to
 * review; archive the PDF in Drive; note in Zendesk.
 */
import type { RecipientApproval } from '../domain/records';
import { type CaseInput, CaseStatus } from '../domain/case';
import { humanDuration } from '../policy/format';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import type { CaseState } from '../domain/case-state';
import { loadAccount, needsAttention, noteTicket, openCaseTicket, recipientFor, runCase, doneNote } from './steps';
import { reviewRecipient, sentToText } from './recipient-review';
import { humanDate } from '../policy/dates';

export async function invoiceResend(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { fields } = input;
    if (!fields.invoiceNumber) rt.invalidInput('an invoice resend needs the invoice_number');
    rt.setStatus(CaseStatus.Gathering);
    const invoice = await rt.acts.findInvoice({ invoiceNumber: fields.invoiceNumber });
    // Every read before the ticket opens: they run in one workflow task, and the ticket's internal
    // note already carries what they found.
    if (invoice) {
      rt.facts.push(
        `Invoice ${invoice.docNumber}: balance ${formatMoney(invoice.balance.amountMinor, invoice.balance.currency)}, due ${invoice.dueDate ? humanDate(invoice.dueDate, input.policy.businessTimeZone) : 'n/a'}`,
      );
      rt.setHandoff({
        destinationObject: { system: 'quickbooks', object: 'Invoice', id: invoice.id, ...(invoice.url ? { url: invoice.url } : {}) },
      });
    }
    const account = invoice ? await loadAccount(rt, { customerId: invoice.customerId }) : null;
    // The customer reads only what QuickBooks holds: words the caller said are never echoed in a public comment.
    await openCaseTicket(
      rt,
      invoice ? `Invoice ${invoice.docNumber}` : 'Your invoice request',
      invoice
        ? `We received your request to resend invoice ${invoice.docNumber}.`
        : 'We received your request to resend an invoice. We could not find the invoice you named in our records; a member of our finance team will check it and reply here.',
    );
    if (!invoice || !account) return needsAttention(rt, `invoice ${fields.invoiceNumber} not found in QuickBooks`);

    const check = recipientFor(rt, account, invoice);
    let to: string;
    let approval: RecipientApproval | undefined;
    if (check.status === 'verified') {
      to = check.to;
    } else if (check.status === 'none') {
      return needsAttention(rt, 'no email on file for this invoice and none given: nothing sent');
    } else {
      const review = await reviewRecipient(rt, `Invoice ${invoice.docNumber}`);
      if (review.kind === 'expired') {
        await noteTicket(
          rt,
          'recipient.expired.public',
          'We could not verify the address you gave in time, so the invoice was not sent. Your request stays open on this ticket, assigned to a member of our finance team, who will reply here.',
          true,
        );
        return rt.finish(
          CaseStatus.Expired,
          `no decision within ${humanDuration(input.policy.approvalTimeoutMs)} on an address not on file: nothing sent`,
        );
      }
      if (review.kind === 'decided') {
        await noteTicket(
          rt,
          'recipient.rejected.public',
          'For your security we only send invoices to the billing email on file. Please contact us from that address or update it with our billing team.',
          true,
        );
        return rt.finish(
          CaseStatus.Rejected,
          `address not on file rejected by ${review.vote.actor.name ?? review.vote.actor.id}: nothing sent`,
        );
      }
      to = check.requested;
      // The approval is the authority the activity checks (its proofs) before it sends off file.
      approval = { requestId: review.requestId, escalated: review.escalated, votes: review.votes };
    }

    rt.setStatus(CaseStatus.Executing);
    const sent = await rt.acts.sendInvoice({ step: 'invoice.send', invoiceId: invoice.id, to, ...(approval ? { approval } : {}) });
    rt.facts.push(
      `Invoice ${invoice.docNumber} sent by QuickBooks to ${sent.sentTo === 'approved' ? `an address not on file, approved by ${approval?.votes.map((v) => v.actor.name ?? v.actor.id).join(' and ')}` : 'the email on file'}`,
    );
    const pdf = await rt.acts.archiveDocument({
      step: 'invoice.archive',
      kind: 'invoice_pdf',
      name: `${invoice.docNumber}.pdf`,
      invoiceId: invoice.id,
    });
    rt.addRecord(pdf);
    rt.setHandoff({ nextStep: 'Confirm the customer received the invoice' });
    await noteTicket(rt, 'invoice.sent.public', `Invoice ${invoice.docNumber} has been sent to ${sentToText(sent.sentTo)}.`, true);
    await doneNote(rt, 'invoice.done.note');
    return rt.finish(CaseStatus.Completed);
  });
}
