/**
 * `receipt_request` (docs/product.md §4): send the payment receipt only to a verified email (as for
 * invoices); an address not on file goes to review; note the ticket.
 */
import { type CaseInput, CaseStatus } from '../domain/case';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import type { CaseState } from '../domain/case-state';
import { decideRecipient, sentToText } from './recipient-review';
import { loadAccount, needsAttention, noteTicket, openCaseTicket, recipientFor, runCase, doneNote } from './steps';

export async function receiptRequest(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { fields } = input;
    if (!fields.paymentId && !fields.invoiceNumber) rt.invalidInput('a receipt request needs the payment_id or the invoice_number');
    rt.setStatus(CaseStatus.Gathering);
    const { findInvoice, findPayment, sendReceipt } = rt.acts;
    const invoice = fields.invoiceNumber ? await findInvoice({ invoiceNumber: fields.invoiceNumber }) : null;
    const payment = fields.paymentId
      ? await findPayment({ paymentId: fields.paymentId })
      : invoice
        ? await findPayment({ invoiceId: invoice.id })
        : null;
    // Every read before the ticket opens: they run in one workflow task, and the ticket's internal
    // note already carries what they found.
    if (payment) {
      rt.facts.push(
        `Payment ${payment.id}: ${formatMoney(payment.amount.amountMinor, payment.amount.currency)} on ${payment.date ?? 'n/a'}`,
      );
      rt.setHandoff({ destinationObject: { system: 'quickbooks', object: 'Payment', id: payment.id } });
    }
    const account = payment ? await loadAccount(rt, { customerId: payment.customerId }) : null;
    await openCaseTicket(rt, 'Your payment receipt', 'We received your request for a payment receipt.');
    if (!payment || !account)
      return needsAttention(
        rt,
        `no payment found for ${fields.paymentId ? `payment ${fields.paymentId}` : `invoice ${fields.invoiceNumber}`}: nothing sent`,
      );

    const recipient = await decideRecipient(rt, recipientFor(rt, account, invoice), {
      what: `Receipt for payment ${payment.id}`,
      document: 'receipt',
      noneOnFile: 'no email on file for this customer and none given: nothing sent',
      rejectedPublic: 'For your security we only send receipts to the billing email on file. Please contact us from that address.',
    });
    if ('ended' in recipient) return recipient.ended;
    const { to, approval } = recipient;
    rt.setStatus(CaseStatus.Executing);
    const sent = await sendReceipt({ step: 'receipt.send', paymentId: payment.id, to, ...(approval ? { approval } : {}) });
    rt.facts.push(
      `Receipt for payment ${payment.id} sent by QuickBooks to ${sent.sentTo === 'approved' ? `an address not on file, approved by ${approval?.votes.map((v) => v.actor.name ?? v.actor.id).join(' and ')}` : 'the email on file'}`,
    );
    rt.setHandoff({ nextStep: 'None unless the customer replies' });
    await noteTicket(
      rt,
      'receipt.sent.public',
      `The receipt for your payment of ${formatMoney(payment.amount.amountMinor, payment.amount.currency)}${payment.date ? ` on ${payment.date}` : ''} has been sent to ${sentToText(sent.sentTo)}.`,
      true,
    );
    await doneNote(rt, 'receipt.done.note');
    return rt.finish(CaseStatus.Completed);
  });
}
