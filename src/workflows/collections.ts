/**
 * `collections` (docs/product.md §4): careful notes. A compliant note (no sensitive data: amount,
 * status, promised next step, follow-up deadline) to Zendesk and HubSpot; a promise-to-pay timer;
 * unpaid at the deadline, a task for the account owner.
 */
import { sleep } from '@temporalio/workflow';
import { type CaseInput, CaseStatus } from '../domain/case';
import type { OpenBalance } from '../domain/records';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import type { CaseState } from '../domain/case-state';
import { finalCrmNote, followUpDelayMs, loadAccount, needsAttention, noteTicket, openCaseTicket, runCase } from './steps';

/** Still owed: the named invoice's balance, or the whole open balance. */
function owed(balance: OpenBalance, invoiceNumber?: string): number {
  if (invoiceNumber) return balance.openInvoices.find((i) => i.docNumber === invoiceNumber)?.balance.amountMinor ?? 0;
  return balance.total.amountMinor;
}

export async function collections(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { fields } = input;
    if (!fields.accountId) rt.invalidInput('a collections case needs the account_id');
    rt.setStatus(CaseStatus.Gathering);
    const account = await loadAccount(rt, { owner: true });
    if (!account.customer) {
      await openCaseTicket(rt, 'Your account balance', 'Thank you for your call about your balance. Our billing team will follow up.');
      return needsAttention(rt, `account ${fields.accountId} not found in QuickBooks`);
    }
    const customerId = account.customer.id;
    const before = await rt.acts.getOpenBalance({ customerId });
    const follow = followUpDelayMs(rt, account);
    const { deadline, delayMs } = follow;
    const due = formatMoney(owed(before, fields.invoiceNumber), before.total.currency);
    const promised = fields.promisedNextStep ?? 'payment';
    // The compliant note: facts only, nothing sensitive, no judgement about the customer.
    const compliant = `Collections call. Amount outstanding: ${due}${fields.invoiceNumber ? ` (invoice ${fields.invoiceNumber})` : ''}. Status: ${fields.paymentStatus ?? 'unpaid'}. Promised next step: ${promised}. Follow-up deadline: ${follow.shown}${follow.pastOnArrival ? ' (already past when the call came in; flagged to the owner)' : ''}.`;
    rt.facts.push(compliant);
    rt.setHandoff({ nextStep: 'Check payment at the promised date', nextStepDeadline: deadline });

    await openCaseTicket(
      rt,
      'Your account balance',
      // A deadline already past is not put to the customer (issue 24 §7).
      follow.pastOnArrival
        ? `Thank you for your call. We noted: ${promised}.`
        : `Thank you for your call. We noted: ${promised}. We will check again after ${follow.shown}.`,
    );
    if (account.contact) {
      const note = await rt.acts.addCrmNote({
        step: 'collections.crm.note',
        contactId: account.contact.id,
        // Written as the case starts to wait: the note says so, not "Gathering the facts".
        body: `${compliant}\n\n${rt.note('hubspot', { status: CaseStatus.WaitingForCustomer })}`,
      });
      rt.addRecord(note);
      rt.setHandoff({
        destinationObject: {
          system: 'hubspot',
          object: 'contact',
          id: account.contact.id,
          ...(account.contact.url ? { url: account.contact.url } : {}),
        },
      });
    }

    rt.setStatus(CaseStatus.WaitingForCustomer);
    rt.flush();
    await sleep(delayMs, { summary: 'promise-to-pay deadline' });
    rt.setStatus(CaseStatus.Gathering);
    const after = await rt.acts.getOpenBalance({ customerId });
    const left = owed(after, fields.invoiceNumber);
    if (left <= 0) {
      rt.facts.push('Paid by the promised date');
      rt.setHandoff({ nextStep: 'None: paid' });
      await noteTicket(rt, 'collections.paid.note', `Promise kept: paid by ${follow.shown}.`);
      await finalCrmNote(rt, 'collections.crm.final', account.contact?.id, CaseStatus.Completed);
      return rt.finish(CaseStatus.Completed, 'paid by the promised date');
    }
    const shown = formatMoney(left, after.total.currency);
    rt.facts.push(`Still unpaid at the deadline: ${shown}`);
    if (!account.contact?.ownerId)
      return needsAttention(rt, `still unpaid at the deadline (${shown}) and the account has no owner to task`);
    const task = await rt.acts.createOwnerTask({
      step: 'collections.owner.task',
      ownerId: account.contact.ownerId,
      contactId: account.contact.id,
      subject: follow.pastOnArrival
        ? `Promised date ${follow.shown} already past when the call came in: agree a new date (${fields.accountId})`
        : `Promise to pay not kept: ${fields.accountId}`,
      // The case ends here with this task as the owner's next step: the note says so, not "Gathering the facts".
      body: `${shown} still unpaid after the promised date ${follow.shown}.\n\n${rt.note('hubspot', { status: CaseStatus.Completed, nextStep: 'Owner follows up the unpaid balance (this task)' })}`,
      dueAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    rt.addRecord(task);
    rt.setHandoff({ nextStep: `Owner follows up the unpaid balance (HubSpot task ${task.id})` });
    await noteTicket(
      rt,
      'collections.unpaid.note',
      `Unpaid at the deadline (${shown}); HubSpot task ${task.id} created for ${account.owner?.name ?? 'the account owner'}.`,
    );
    await finalCrmNote(rt, 'collections.crm.final', account.contact.id, CaseStatus.Completed);
    return rt.finish(CaseStatus.Completed, 'unpaid at the deadline: owner tasked');
  });
}
