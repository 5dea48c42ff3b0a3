/**
 * `refund_request` (docs/product.md §4): automate only inside policy; otherwise Slack approval (two
 * distinct approvers above the two-person threshold); on approval record the refund (QuickBooks
 * RefundReceipt, or CreditMemo for a credit; through Skyfire for accounts that pay through it);
 * confirm to the customer. The final timeout fails closed: no money moves.
 */
import { type CaseInput, CaseStatus } from '../domain/case';
import { refundAutomation } from '../policy/refund';
import { callerReasonText, customerPlatformName, invoicePaymentsText, refundBlockersText, unverifiedFactsText } from '../policy/wording';
import { requiredApprovals } from '../policy/thresholds';
import { tierAmount } from '../policy/money-rules';
import { APPROVE_REJECT, recordLink, requestApproval, financeReview, showOutcome } from './approval';
import { humanDuration } from '../policy/format';
import { moveMoney } from './money-path';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import { DecisionAction } from '../domain/decision';
import type { CaseState } from '../domain/case-state';
import type { InvoiceLedger, MoneyAuthorityInput as RefundAuthority, MoneyEntryView } from '../activities/money-contract';
import { loadAccount, needsAttention, noteTicket, noteTicketAtEnd, openCaseTicket, recipientFor, runCase, doneNote } from './steps';

const ordinal = (n: number) => (n === 1 ? 'First' : n === 2 ? 'Second' : n === 3 ? 'Third' : `${n}th`);

/** The refund's money steps (`refund.record`: its ledger entry's key, DocNumber and idempotency keys derive from it). */
const MONEY_PREFIX = 'refund';

export async function refundRequest(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input); // annotated: lets `never`-returning checks narrow
  return runCase(rt, async () => {
    const { fields, policy } = input;
    const amount = fields.amount;
    if (!amount || !Number.isInteger(amount.amountMinor) || amount.amountMinor <= 0)
      rt.invalidInput('a refund needs a positive amount in minor units');
    if (!fields.accountId) rt.invalidInput('a refund needs the account_id');
    const shown = formatMoney(amount.amountMinor, amount.currency);

    rt.setStatus(CaseStatus.Gathering);
    const { findInvoice, invoiceLedger, sendCustomerEmail } = rt.acts;
    // Issue 21: the facts must be the ones the intake signed, and the reason must show in QuickBooks,
    // before anything is automated. Cases that decided before keep their decision on replay.
    const signedFactsRule = rt.patched('refund-signed-facts-evidence');
    const factsCheck = signedFactsRule ? await rt.acts.verifyCaseInput({ input }) : undefined;
    if (factsCheck && !factsCheck.ok) rt.facts.push(unverifiedFactsText(factsCheck.reason));
    const [account, invoice, money] = await Promise.all([
      loadAccount(rt, { owner: true }),
      fields.invoiceNumber ? findInvoice({ invoiceNumber: fields.invoiceNumber }) : null,
      rt.policy(),
    ]);
    // What all cases refunded on the invoice so far (the invoice owner's records); re-read under the lock before money moves.
    const [ledger, payments] = await Promise.all([
      invoice && fields.invoiceNumber
        ? invoiceLedger({
            customerId: invoice.customerId,
            invoiceNumber: fields.invoiceNumber,
            invoiceId: invoice.id,
            currency: invoice.total.currency,
            ownStep: `${MONEY_PREFIX}.record`,
          })
        : ({ refundedMinor: 0, records: [] } as InvoiceLedger),
      // The evidence a duplicate charge needs: the payments QuickBooks shows applied to the invoice.
      signedFactsRule && invoice ? rt.acts.findInvoicePayments({ customerId: invoice.customerId, invoiceId: invoice.id }) : undefined,
    ]);
    const invoiceIsCallers = invoice && account.customer ? invoice.customerId === account.customer.id : undefined;
    if (invoice)
      rt.facts.push(
        `Invoice ${invoice.docNumber}: total ${formatMoney(invoice.total.amountMinor, invoice.total.currency)}, balance ${formatMoney(invoice.balance.amountMinor, invoice.balance.currency)}`,
      );
    if (ledger.records.length > 0)
      rt.facts.push(
        // Records on an invoice are in the invoice's currency, whatever currency this call asked in.
        `Already refunded or credited on ${invoice?.docNumber ?? fields.invoiceNumber}: ${formatMoney(ledger.refundedMinor, invoice?.total.currency ?? amount.currency)} (${ledger.records.map((r) => `${r.object} ${r.id}`).join(', ')})`,
      );
    for (const hold of ledger.totals?.holds ?? []) rt.facts.push(`Reconciliation hold on this customer: ${hold}`);
    if (invoiceIsCallers === false)
      rt.facts.push(`Invoice ${fields.invoiceNumber} belongs to another customer than account ${fields.accountId}`);
    const paymentsShown = invoice && payments ? invoicePaymentsText(payments, invoice.total) : undefined;
    if (paymentsShown) rt.facts.push(`Payments on ${invoice!.docNumber} in QuickBooks: ${paymentsShown}`);
    if (account.vip) rt.facts.push('VIP customer');
    if (account.paysThroughSkyfire) rt.facts.push('Pays through Skyfire');
    if (account.customer?.currency && account.customer.currency !== amount.currency)
      rt.facts.push(`The customer is billed in ${account.customer.currency}, the request is in ${amount.currency}`);

    await openCaseTicket(
      rt,
      `Your ${fields.creditRequest ? 'credit' : 'refund'} request (${shown})`,
      `We received your request for a ${fields.creditRequest ? 'credit' : 'refund'} of ${shown}. Our finance team will confirm it here.`,
    );
    if (!account.customer) return needsAttention(rt, `account ${fields.accountId} not found in QuickBooks: the refund cannot be recorded`);

    const invoicePaid = invoice
      ? { amountMinor: invoice.total.amountMinor - invoice.balance.amountMinor, currency: invoice.total.currency }
      : fields.invoiceNumber
        ? null
        : undefined;
    const policyDecision = refundAutomation(
      input,
      money,
      {
        vip: account.vip,
        earlierRefund: ledger.records.length > 0,
        alreadyRefundedMinor: ledger.refundedMinor,
        invoicePaid,
        ...(account.customer.currency ? { customerCurrency: account.customer.currency } : {}),
        ...(invoiceIsCallers !== undefined ? { invoiceIsCallers } : {}),
        holds: ledger.totals?.holds.length ?? 0,
        factsVerified: factsCheck?.ok === true,
        ...(invoice && payments ? { invoicePayments: { total: invoice.total, payments: payments.payments } } : {}),
      },
      // Cases that already decided without the no-invoice rule keep their decision on replay.
      { invoiceRequired: invoicePaid !== undefined || rt.patched('refund-automation-needs-invoice'), evidenceRequired: signedFactsRule },
    );
    // This case reserved its money already (an operator reset it, or it ran again after a crash
    // before it recorded the decision): the money may have moved, so the case goes on from the
    // ledger entry (reserveMoney finds it and decides nothing again) instead of asking anyone
    // again, or telling the customer "not able to issue" about money that is on its way back.
    const own = ledger.own && ledger.own.state !== 'released' ? ledger.own : undefined;
    const moneyWord = fields.creditRequest ? 'credit' : 'refund';
    const carriedOn = (entry: MoneyEntryView) =>
      `This case's ${moneyWord} is in the money ledger already (entry ${entry.ref}, ${entry.state}): carried on from it, not decided again`;
    // For an entry that exists the authority is not used (the reservation finds the entry); were
    // it released meanwhile, automation's checks apply in full and refuse what policy does not allow.
    const automation: RefundAuthority = {
      kind: 'automation',
      input: {
        fields,
        intentConfidence: input.intentConfidence,
        suppressed: input.suppressed,
        // The signed facts go with it: the money activity verifies them again before money moves.
        ...(signedFactsRule ? { caseType: input.caseType, call: { callId: input.call.callId }, factsRequired: true } : {}),
        ...(signedFactsRule && input.attestation ? { attestation: input.attestation } : {}),
      },
      vip: account.vip,
    };
    let authority: RefundAuthority;
    if (policyDecision.automate || own) {
      rt.facts.push(
        own
          ? carriedOn(own)
          : `Automated inside policy ${money.version} (limit ${formatMoney(policyDecision.limitMinor ?? 0, amount.currency)})`,
      );
      authority = automation;
    } else {
      // The tier counts what this customer already had refunded or credited within the window
      // (settled or pending), so three small requests never need fewer approvers than one large one.
      const running = ledger.totals && ledger.totals.currency === amount.currency ? ledger.totals.customerWindowMinor : 0;
      const tier = tierAmount(amount, running);
      const required = requiredApprovals(tier, money);
      const runningText =
        ledger.totals && ledger.totals.customerWindowCount > 0 && running > 0
          ? `${ordinal(ledger.totals.invoiceWindowCount + 1)} refund on ${invoice?.docNumber ?? fields.invoiceNumber} within ${humanDuration(money.runningTotalWindowMs)}; ${formatMoney(tier.amountMinor, amount.currency)} in all on this customer with this request`
          : undefined;
      if (runningText) rt.facts.push(`Running total: ${runningText}`);
      const whyReview = refundBlockersText(policyDecision.blockers, { limitMinor: policyDecision.limitMinor, currency: amount.currency });
      rt.facts.push(`Review needed: ${whyReview}`);
      rt.setHandoff({ owner: 'finance', nextStep: `Approve or reject the refund (${required} approver${required > 1 ? 's' : ''})` });
      const warnings = [
        invoicePaid && policyDecision.blockers.includes('exceeds_amount_paid')
          ? `exceeds what is left to refund on ${fields.invoiceNumber} (${formatMoney(invoicePaid.amountMinor - ledger.refundedMinor, invoicePaid.currency)} of ${formatMoney(invoicePaid.amountMinor, invoicePaid.currency)} paid)`
          : undefined,
        invoiceIsCallers === false
          ? `invoice ${fields.invoiceNumber} belongs to ANOTHER customer than account ${fields.accountId}: approving will not refund it`
          : undefined,
        policyDecision.blockers.includes('currency_differs_from_customer')
          ? `the customer is billed in ${account.customer.currency}, not ${amount.currency}`
          : undefined,
        ...(ledger.totals?.holds ?? []).map((h) => `reconciliation hold on this customer: ${h}`.slice(0, 500)),
        factsCheck && !factsCheck.ok
          ? 'this request did not come signed from the call intake, or was changed after it: check the amount, invoice and account against the call before approving'
          : undefined,
      ].filter((w): w is string => !!w);
      const closure = await requestApproval(rt, {
        kind: 'refund',
        step: 'refund.approval',
        title: `${fields.creditRequest ? 'Credit' : 'Refund'} approval: ${shown}${fields.invoiceNumber ? ` on ${fields.invoiceNumber}` : ''}`,
        fields: [
          { label: 'Amount', value: shown },
          { label: 'Account', value: fields.accountId },
          ...(fields.invoiceNumber ? [{ label: 'Invoice', value: fields.invoiceNumber }] : []),
          ...(fields.refundReason ? [{ label: 'Reason', value: callerReasonText(fields.refundReason) }] : []),
          { label: 'Why review', value: whyReview },
          ...warnings.map((w) => ({ label: 'Warning', value: w })),
          ...(paymentsShown ? [{ label: 'Payments on the invoice', value: paymentsShown }] : []),
          { label: 'Paid through', value: account.paysThroughSkyfire ? 'Skyfire' : 'QuickBooks' },
          ...(runningText ? [{ label: 'Running total', value: runningText }] : []),
          { label: 'Approvals needed', value: String(required) },
        ],
        actions: APPROVE_REJECT,
        nextStepAfterApproval: `Record the ${fields.creditRequest ? 'credit' : 'refund'} in QuickBooks`,
        ...financeReview(money, policy),
        required,
        amount,
        subject: {
          amountMinor: amount.amountMinor,
          currency: amount.currency,
          ...(invoice ? { invoiceId: invoice.id } : {}),
          kind: fields.creditRequest ? 'credit_memo' : 'refund_receipt',
        },
        ...(running > 0 ? { tierAmount: tier } : {}),
        urgency: account.vip ? 'high' : rt.state.handoff.urgency,
        mentions: account.owner?.slackUserId ? [account.owner.slackUserId] : [],
      });
      // A rejection or an expiry of a case reset after its money step (to a point after its ledger
      // read, or with no invoice to read it by): the ledger says whether this case reserved the
      // money already. If so it may have moved, so the case goes on from the entry and never tells
      // the customer "not able to issue" about it (outside review, stop 27).
      const mine =
        closure.kind !== 'approved' && rt.patched('closure-reads-own-entry')
          ? await rt.acts.caseMoneyEntry({ step: `${MONEY_PREFIX}.record` })
          : null;
      if (mine && mine.state !== 'released') {
        rt.facts.push(
          `${carriedOn(mine)}; the ${closure.kind === 'expired' ? 'expired request' : 'rejection'} was of a request asked again after that`,
        );
        authority = automation;
      } else if (closure.kind === 'expired') {
        const reason = `no decision within ${humanDuration(policy.approvalTimeoutMs)}: failed closed, no money moved`;
        await noteTicket(rt, 'refund.expired.note', `Refund not approved in time (${reason}).`);
        await noteTicket(
          rt,
          'refund.expired.public',
          'We could not complete the review of your request in time, so no refund has been made yet. Your request stays open on this ticket, assigned to a member of our finance team, who will reply here.',
          true,
        );
        return rt.finish(CaseStatus.Expired, reason);
      } else if (closure.kind === 'decided') {
        const reason = `rejected by ${closure.vote.actor.name ?? closure.vote.actor.id}${closure.vote.reason ? `: ${closure.vote.reason}` : ''}`;
        await noteTicket(rt, 'refund.rejected.note', `Refund ${reason}.`);
        await noteTicket(
          rt,
          'refund.rejected.public',
          `After review, we are not able to issue this ${moneyWord}. Reply to this ticket if you have questions.`,
          true,
        );
        return rt.finish(CaseStatus.Rejected, reason);
      } else {
        rt.facts.push(`Approved by ${closure.votes.map((v) => v.actor.name ?? v.actor.id).join(' and ')}`);
        authority = {
          kind: 'approval',
          requestId: closure.requestId,
          countingAction: DecisionAction.Approve,
          escalated: closure.escalated,
          votes: closure.votes,
        };
      }
    }

    const result = await moveMoney(
      rt,
      {
        customerId: account.customer.id,
        amount,
        ...(invoice
          ? { invoiceId: invoice.id, invoiceNumber: invoice.docNumber }
          : fields.invoiceNumber
            ? { invoiceNumber: fields.invoiceNumber }
            : {}),
        kind: fields.creditRequest ? 'credit_memo' : 'refund_receipt',
        paysThroughSkyfire: account.paysThroughSkyfire,
        ...(account.contact?.paymentPlatform ? { paymentPlatform: account.contact.paymentPlatform } : {}),
        ...(account.owner ? { owner: account.owner } : {}),
        ...(account.contact ? { contactId: account.contact.id } : {}),
        mentions: [...money.approvers, ...(account.owner?.slackUserId ? [account.owner.slackUserId] : [])],
        authority,
      },
      MONEY_PREFIX,
    );
    if ('state' in result) return result.state;

    // Said only of what happened: money back on the card once QuickBooks Payments issued the refund.
    const card = 'card' in result ? result.card : undefined;
    const returned = 'returned' in result ? result.returned : undefined;
    const what = fields.creditRequest
      ? `A credit of ${shown} has been added to your account`
      : card
        ? `We refunded ${formatMoney(card.refunded.amountMinor, card.refunded.currency)} to your card (QuickBooks Payments)`
        : returned
          ? returned.named && customerPlatformName(returned.platform)
            ? `We returned ${shown} to you through ${customerPlatformName(returned.platform)}`
            : `We returned ${shown} to you the way you paid, as our finance team confirmed`
          : `Your refund of ${shown} has been issued`;
    // What the customer reads names only what is theirs: the amount, their invoice and their ticket.
    // QuickBooks record ids and the DialNexa call id are ours; they stay in the internal notes.
    const onInvoice = fields.invoiceNumber ? ` for invoice ${fields.invoiceNumber}` : '';
    // Written with the final ticket update, one Zendesk activity for both (older cases: at once).
    await noteTicketAtEnd(rt, 'refund.confirm.public', `${what}${onInvoice}.`, true);
    const to = recipientFor(rt, account, invoice);
    if (to.status === 'verified') {
      const email = await sendCustomerEmail({
        step: 'refund.confirm.email',
        to: to.to,
        subject: `${what}`,
        body: `${what}${onInvoice}.${rt.ticket ? `\n\nYour reference: ticket #${rt.ticket.id}. Reply to this email or on the ticket if you have questions.` : ''}`,
      });
      rt.addRecord(email);
    } else {
      // Only a verified address gets mail; the ticket comment above reaches the customer anyway.
      rt.facts.push('Confirmation sent through the ticket only (no verified email)');
    }
    rt.setHandoff({ nextStep: 'None: refund recorded and confirmed' });
    await showOutcome(rt, {
      text: `${fields.creditRequest ? 'Credit' : 'Refund'} recorded in QuickBooks, ${recordLink(`${result.record.object} ${result.record.id}`, result.record.url)}${
        card
          ? `, after QuickBooks Payments refunded the card (refund ${card.refundId} ${card.status})`
          : returned
            ? `, after the return ${returned.named ? `through ${returned.platform}` : 'the way the customer paid'} was confirmed by ${returned.confirmedBy}`
            : ''
      }; the customer was told on the ticket${to.status === 'verified' ? ' and by email' : ''}`,
      status: CaseStatus.Completed,
      nextStep: 'None: refund recorded and confirmed',
    });
    await doneNote(rt, 'refund.done.note');
    return rt.finish(CaseStatus.Completed);
  });
}
