/**
 * `renewal_failed` (docs/product.md §4): gather renewal context (HubSpot deal and owner, QuickBooks
 * balance, Skyfire wallet balance where the account pays through Skyfire); send the approved
 * follow-up by Gmail to a verified email; wait until the follow-up deadline; still unpaid,
 * escalate to the owner.
 */
import { sleep } from '@temporalio/workflow';
import { type CaseInput, CaseStatus } from '../domain/case';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import type { CaseState } from '../domain/case-state';
import { finalCrmNote, followUpDelayMs, loadAccount, needsAttention, recipientFor, runCase } from './steps';

/** The approved follow-up template (finance signed off on its wording; no amounts beyond what is owed). */
function followUpEmail(amountDue: string, deadline: string): { subject: string; body: string } {
  return {
    subject: 'Your subscription renewal',
    body: `Hello,\n\nYour subscription renewal did not go through. The amount due is ${amountDue}. Please complete the payment by ${deadline}, or reply to this email if you need help.\n\nThank you.`,
  };
}

export async function renewalFailed(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { fields } = input;
    if (!fields.accountId) rt.invalidInput('a failed renewal needs the account_id');
    rt.setStatus(CaseStatus.Gathering);
    const account = await loadAccount(rt, { owner: true });
    if (!account.customer || !account.contact) return needsAttention(rt, `account ${fields.accountId} not found in QuickBooks or HubSpot`);
    const { getDeals, getOpenBalance, getWalletBalance, sendCustomerEmail, addCrmNote, createOwnerTask, postFinanceAlert } = rt.acts;
    const deals = await getDeals({ contactId: account.contact.id });
    const deal = deals.find((d) => /renewal/i.test(d.name)) ?? deals[0];
    const balance = await getOpenBalance({ customerId: account.customer.id });
    if (deal) {
      rt.facts.push(`Deal ${deal.name} (${deal.stage ?? 'n/a'})`);
      rt.setHandoff({ destinationObject: { system: 'hubspot', object: 'deal', id: deal.id, ...(deal.url ? { url: deal.url } : {}) } });
    }
    rt.facts.push(`Open balance ${formatMoney(balance.total.amountMinor, balance.total.currency)}`);
    if (account.paysThroughSkyfire) {
      const wallet = await getWalletBalance({ currency: balance.total.currency });
      rt.facts.push(
        `Our Skyfire buyer wallet (the service's, not the customer's): ${formatMoney(wallet.available.amountMinor, wallet.available.currency)} available`,
      );
    }
    const due = followUpDelayMs(rt, account);
    const { deadline, delayMs } = due;
    // Patched: cases started before this change sent the email whatever the date (docs/workflows.md).
    const pastOnArrival = due.pastOnArrival && rt.patched('follow-up-deadline-past-on-arrival');
    rt.setHandoff({ nextStep: 'Check the renewal is paid by the follow-up deadline', nextStepDeadline: deadline });
    // A deadline already past when the call came in is the owner's to settle, not the customer's to meet (issue 24 §7).
    if (pastOnArrival)
      rt.facts.push(
        `The call's follow-up deadline (${due.shown}) had already passed when it came in: not put to the customer; flagged to the owner`,
      );

    // Outbound mail goes to the address on file; an address the caller named but we do not hold is not used.
    const check = recipientFor(rt, account);
    const to = check.status === 'verified' ? check.to : check.status === 'unverified' ? check.onFile : undefined;
    if (to && !pastOnArrival) {
      const mail = followUpEmail(formatMoney(balance.total.amountMinor, balance.total.currency), due.shown);
      rt.addRecord(await sendCustomerEmail({ step: 'renewal.followup.email', to, ...mail }));
      rt.facts.push('Approved follow-up sent to the email on file');
    } else if (!to) {
      rt.facts.push('No email on file: follow-up not sent');
    }
    rt.addRecord(
      await addCrmNote({
        step: 'renewal.crm.note',
        contactId: account.contact.id,
        ...(deal ? { dealId: deal.id } : {}),
        // Written as the case starts to wait: the note says so, not "Gathering the facts".
        body: rt.note('hubspot', { status: CaseStatus.WaitingForCustomer }),
      }),
    );

    rt.setStatus(CaseStatus.WaitingForCustomer);
    rt.flush();
    await sleep(delayMs, { summary: 'renewal follow-up deadline' });
    rt.setStatus(CaseStatus.Gathering);
    const after = await getOpenBalance({ customerId: account.customer.id });
    if (after.total.amountMinor <= 0) {
      rt.facts.push('Paid by the follow-up deadline');
      rt.setHandoff({ nextStep: 'None: renewal paid' });
      await finalCrmNote(rt, 'renewal.crm.final', account.contact.id, CaseStatus.Completed, deal?.id);
      return rt.finish(CaseStatus.Completed, 'renewal paid by the deadline');
    }
    const shown = formatMoney(after.total.amountMinor, after.total.currency);
    rt.facts.push(`Still unpaid at the deadline: ${shown}`);
    if (!account.contact.ownerId) return needsAttention(rt, `renewal still unpaid (${shown}) and the account has no owner`);
    const task = await createOwnerTask({
      step: 'renewal.owner.task',
      ownerId: account.contact.ownerId,
      contactId: account.contact.id,
      subject: pastOnArrival
        ? `Renewal unpaid, its deadline ${due.shown} already past when the call came in: agree a new date (${fields.accountId})`
        : `Renewal unpaid: ${fields.accountId}`,
      // The case ends here with this task as the owner's next step: the note says so, not "Gathering the facts".
      body: rt.note('hubspot', { status: CaseStatus.Completed, nextStep: 'Owner follows up the unpaid renewal (this task)' }),
      dueAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    rt.addRecord(task);
    const ownerSlack = account.owner?.slackUserId;
    const money = await rt.policy();
    await postFinanceAlert({
      step: 'renewal.owner.alert',
      channel: money.financeChannel,
      view: {
        workflowId: rt.workflowId,
        title: pastOnArrival
          ? `Renewal unpaid and its deadline already past on arrival: account ${fields.accountId}`
          : `Renewal still unpaid: account ${fields.accountId}`,
        urgency: 'high',
        noteLines: rt
          .note('slack', { status: CaseStatus.Completed, nextStep: `Owner follows up the unpaid renewal (HubSpot task ${task.id})` })
          .split('\n'),
        fields: [{ label: 'Unpaid', value: shown }],
        mentions: ownerSlack ? [ownerSlack] : money.approvers,
        links: rt.links(),
      },
    });
    rt.setHandoff({
      owner: ownerSlack ?? `hubspot-owner:${account.contact.ownerId}`,
      ...(account.owner?.name ? { ownerName: account.owner.name } : {}),
      nextStep: `Owner follows up the unpaid renewal (HubSpot task ${task.id})`,
    });
    await finalCrmNote(rt, 'renewal.crm.final', account.contact.id, CaseStatus.Completed, deal?.id);
    return rt.finish(CaseStatus.Completed, 'unpaid at the deadline: escalated to the owner');
  });
}
