/**
 * `invoice_resend` (docs/product.md §4): find the invoice in QuickBooks; send it only to an email on
 * file (invoice BillEmail, QuickBooks customer, HubSpot contact); an address not on file goes to
 * review; archive the PDF in Drive; note in Zendesk.
 */
import { type CaseInput, CaseStatus } from '../domain/case';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import type { CaseState } from '../domain/case-state';
import { loadAccount, needsAttention, noteTicket, openCaseTicket, recipientFor, runCase, doneNote } from './steps';
import { decideRecipient, sentToText } from './recipient-review';
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

    const recipient = await decideRecipient(rt, recipientFor(rt, account, invoice), {
      what: `Invoice ${invoice.docNumber}`,
      document: 'invoice',
      noneOnFile: 'no email on file for this invoice and none given: nothing sent',
      rejectedPublic:
        'For your security we only send invoices to the billing email on file. Please contact us from that address or update it with our billing team.',
    });
    if ('ended' in recipient) return recipient.ended;
    const { to, approval } = recipient;

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
