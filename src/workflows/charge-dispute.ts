/**
 * `charge_dispute` (docs/product.md §4): a customer-facing Zendesk ticket; evidence (invoice PDF,
 * transcript link) gathered to Drive; a Slack escalation to finance with Accept / Contest / Need
 * info, with reminders and escalation until decided. Accept follows the money that was paid
 * (src/policy/dispute-plan.ts): the part still owed on the invoice is credited against its balance
 * (a CreditMemo applied to it), the part paid is refunded, both through the money path and its
 * ledger (two people above the two-person threshold, as for any refund). Need info asks the
 * customer and opens a new request, so clicks on the old one change nothing.
 *
 * Cases started before balance credits (no `dispute-credits-balance` marker) refund as they did.
 *
 * Why one file of about 470 lines: it is one workflow's story (gather, ask, then follow the money
 * with the words that match what moved); its plan and wording already live in src/policy, and its
 * legs in money-path.ts.
 */
import { type CaseInput, CaseStatus } from '../domain/case';
import { requiredApprovals } from '../policy/thresholds';
import { tierAmount } from '../policy/money-rules';
import { callerReasonText, customerPlatformName, unverifiedFactsText } from '../policy/wording';
import { humanDuration } from '../policy/format';
import { recordLink, requestApproval, financeReview, showOutcome } from './approval';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import { DecisionAction, type ApprovalVote } from '../domain/decision';
import type { CaseState } from '../domain/case-state';
import { moveMoney, moveMoneyLeg, type MoneyMoved } from './money-path';
import type { RefundOrder } from './refund-order';
import { disputeSubject, planDispute, planText, type DisputePlan } from '../policy/dispute-plan';
import type { RefundRecord } from '../domain/records';
import { loadAccount, needsAttention, noteTicket, openCaseTicket, runCase, doneNote } from './steps';
import { humanDate } from '../policy/dates';

/** Need-info rounds before the case stops asking and leaves it to a person. */
const MAX_INFO_ROUNDS = 3;

export async function chargeDispute(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { fields, policy, call } = input;
    if (!fields.accountId) rt.invalidInput('a charge dispute needs the account_id');
    if (!fields.invoiceNumber && !fields.amount) rt.invalidInput('a charge dispute needs the invoice_number or the amount');
    rt.setStatus(CaseStatus.Gathering);
    // As for a refund (docs/security.md §7): a dispute whose facts did not come signed from the call
    // intake (started by hand in the namespace, or altered since) is flagged, and the approvers are
    // told to check it against the call before accepting; nothing here is automated either way.
    const factsCheck = rt.patched('dispute-signed-facts') ? await rt.acts.verifyCaseInput({ input }) : undefined;
    if (factsCheck && !factsCheck.ok) rt.facts.push(unverifiedFactsText(factsCheck.reason));
    const account = await loadAccount(rt, { owner: true });
    const invoice = fields.invoiceNumber ? await rt.acts.findInvoice({ invoiceNumber: fields.invoiceNumber }) : null;
    const amount = fields.amount ?? invoice?.total;
    if (!amount) return needsAttention(rt, `invoice ${fields.invoiceNumber} not found and no amount given`);
    const shown = formatMoney(amount.amountMinor, amount.currency);
    rt.facts.push(
      `Disputed: ${shown}${invoice ? ` on invoice ${invoice.docNumber}` : ''}${fields.disputeReason ? `, reason: ${callerReasonText(fields.disputeReason)}` : ''}`,
    );

    await openCaseTicket(
      rt,
      `Your dispute of a charge (${shown})`,
      `We received your dispute of a charge of ${shown}. Our finance team is reviewing it and will reply here.`,
    );
    if (invoice)
      rt.addRecord(
        await rt.acts.archiveDocument({
          step: 'dispute.evidence.invoice',
          kind: 'invoice_pdf',
          name: `${invoice.docNumber}.pdf`,
          invoiceId: invoice.id,
        }),
      );
    const evidence = [
      `Dispute evidence for DialNexa call ${call.callId}`,
      `Amount: ${shown}`,
      invoice
        ? `Invoice ${invoice.docNumber} (QuickBooks ${invoice.id}), due ${invoice.dueDate ? humanDate(invoice.dueDate, input.policy.businessTimeZone) : 'n/a'}`
        : undefined,
      fields.disputeReason ? `Reason given: ${callerReasonText(fields.disputeReason)}` : undefined,
      call.transcriptUrl ? `Transcript: ${call.transcriptUrl}` : undefined,
      call.recordingUrl ? `Recording: ${call.recordingUrl}` : undefined,
    ].filter(Boolean);
    rt.addRecord(
      await rt.acts.archiveDocument({
        step: 'dispute.evidence.summary',
        kind: 'evidence',
        name: `dispute-${call.callId}.txt`,
        text: evidence.join('\n'),
      }),
    );

    const money = await rt.policy();
    // As for a refund, the tier counts what the customer had refunded or credited within the window
    // (settled or pending in the ledger), so a dispute is not the way around the two-person rule.
    const ledger =
      invoice && rt.patched('dispute-running-total')
        ? await rt.acts.invoiceLedger({
            customerId: invoice.customerId,
            invoiceNumber: invoice.docNumber,
            invoiceId: invoice.id,
            currency: invoice.total.currency,
          })
        : undefined;
    const running = ledger?.totals && ledger.totals.currency === amount.currency ? ledger.totals.customerWindowMinor : 0;
    const tier = tierAmount(amount, running);
    const required = requiredApprovals(tier, money);
    if (running > 0)
      rt.facts.push(
        `Running total: ${formatMoney(tier.amountMinor, amount.currency)} refunded or credited on this customer within the window, with this dispute`,
      );
    const notCallers = invoice && account.customer && invoice.customerId !== account.customer.id;
    if (notCallers) rt.facts.push(`Invoice ${invoice.docNumber} belongs to another customer than account ${fields.accountId}`);
    // What was paid on the invoice and what Accept will do with the disputed amount: the unpaid part
    // is credited against the balance, the paid part refunded (the ledger's own credits and refunds
    // on the invoice taken out of both).
    const refundKind = fields.creditRequest ? ('credit_memo' as const) : ('refund_receipt' as const);
    const t = ledger?.totals;
    let plan: DisputePlan | undefined;
    /** What the approver reads of the invoice: paid (not counting our own credits), credited by us, still open. */
    let paidLine: string | undefined;
    if (invoice && t && !notCallers && t.currency === amount.currency && invoice.total.currency === amount.currency) {
      const cur = amount.currency;
      const balance = invoice.balance.amountMinor;
      // Results recorded before balance credits have no credit totals: there were none.
      const creditsSettled = t.invoiceBalanceCreditSettledMinor ?? 0;
      const paid = invoice.total.amountMinor - balance - creditsSettled;
      const open = balance - ((t.invoiceBalanceCreditMinor ?? 0) - creditsSettled);
      plan = planDispute(
        amount.amountMinor,
        { openMinor: open, refundableMinor: invoice.total.amountMinor - balance - t.invoiceCommittedMinor },
        refundKind,
      );
      paidLine = `${formatMoney(paid, cur)} of ${formatMoney(invoice.total.amountMinor, cur)} paid, ${creditsSettled > 0 ? `${formatMoney(creditsSettled, cur)} credited, ` : ''}${formatMoney(balance, cur)} open`;
      rt.facts.push(`Paid on ${invoice.docNumber}: ${paidLine}`);
    }
    // Only a plan with a credit, or with nothing to credit or refund, differs from what Accept did
    // before (a refund of the amount, which the ledger refused as "already refunded" on an unpaid invoice).
    const nothing = plan !== undefined && plan.creditMinor === 0 && plan.refundMinor === 0;
    const credits = plan !== undefined && (plan.creditMinor > 0 || nothing) && rt.patched('dispute-credits-balance');
    if (plan && credits && nothing) {
      rt.facts.push(
        `Accept: nothing to credit or refund (nothing is owed on the invoice, and what was paid was already refunded or credited)`,
      );
    } else if (plan && credits) {
      rt.facts.push(`Accept: ${planText(plan, amount.currency)}`);
      if (plan.uncoveredMinor > 0)
        rt.facts.push(
          `${formatMoney(plan.uncoveredMinor, amount.currency)} of the disputed amount is neither owed nor paid-and-unrefunded on the invoice: nothing is done with it`,
        );
    } else if (plan) rt.facts.push(`Accept: ${fields.creditRequest ? 'credit the customer' : 'refund'} ${shown} of what was paid`);
    const acceptText =
      plan && credits
        ? nothing
          ? 'credits and refunds nothing: nothing is owed on the invoice, and what was paid was already refunded or credited'
          : planText(plan, amount.currency)
        : `${fields.creditRequest ? 'credits the customer' : 'refunds'} ${shown}`;
    let acceptance: { requestId: string; escalated: boolean; votes: ApprovalVote[] } | undefined;
    for (let round = 1; ; round++) {
      rt.setHandoff({ owner: 'finance', nextStep: 'Decide: accept, contest or ask for information' });
      const closure = await requestApproval(rt, {
        kind: 'dispute',
        step: 'dispute.decision',
        title: `Charge dispute: ${shown}${invoice ? ` on ${invoice.docNumber}` : ''}`,
        fields: [
          { label: 'Amount', value: shown },
          { label: 'Account', value: fields.accountId },
          ...(fields.disputeReason ? [{ label: 'Reason', value: callerReasonText(fields.disputeReason) }] : []),
          ...(paidLine ? [{ label: 'Paid', value: paidLine }] : []),
          { label: 'Accept', value: `${acceptText}; ${required > 1 ? 'needs two approvers' : 'needs one approver'}` },
          ...(plan && !credits && plan.uncoveredMinor > 0
            ? [
                {
                  label: 'Warning',
                  value: `only ${formatMoney(plan.refundMinor, amount.currency)} paid on the invoice is left to refund: accepting ${shown} will be refused by the money path`,
                },
              ]
            : []),
          ...(plan && credits && plan.uncoveredMinor > 0
            ? [
                {
                  label: 'Warning',
                  value: `${formatMoney(plan.uncoveredMinor, amount.currency)} of the disputed amount is neither owed nor paid on the invoice: accepting does nothing with it`,
                },
              ]
            : []),
          ...(notCallers
            ? [
                {
                  label: 'Warning',
                  value: `invoice ${invoice.docNumber} belongs to ANOTHER customer than account ${fields.accountId}: accepting will not refund it`,
                },
              ]
            : []),
          ...(factsCheck && !factsCheck.ok
            ? [
                {
                  label: 'Warning',
                  value:
                    'this dispute did not come signed from the call intake, or was changed after it: check the amount, invoice and account against the call before accepting',
                },
              ]
            : []),
          ...(round > 1 ? [{ label: 'Round', value: `${round} (after a request for information)` }] : []),
        ],
        actions: [
          {
            action: DecisionAction.Accept,
            label:
              plan && credits
                ? nothing
                  ? 'Accept (nothing to pay back)'
                  : plan.refundMinor > 0
                    ? 'Accept (credit and refund)'
                    : 'Accept (credit)'
                : 'Accept (refund)',
            style: 'primary',
          },
          { action: DecisionAction.Contest, label: 'Contest', style: 'danger' },
          { action: DecisionAction.NeedInfo, label: 'Need info' },
        ],
        countingAction: DecisionAction.Accept,
        nextStepAfterApproval:
          plan && credits ? 'Credit the invoice in QuickBooks' : `Record the ${fields.creditRequest ? 'credit' : 'refund'} in QuickBooks`,
        ...financeReview(money, policy),
        required,
        amount,
        ...(running > 0 ? { tierAmount: tier } : {}),
        subject:
          plan && credits && !nothing && invoice
            ? disputeSubject(plan, amount.currency, invoice.id)
            : {
                amountMinor: amount.amountMinor,
                currency: amount.currency,
                ...(invoice ? { invoiceId: invoice.id } : {}),
                kind: fields.creditRequest ? 'credit_memo' : 'refund_receipt',
              },
        urgency: 'high',
        mentions: account.owner?.slackUserId ? [account.owner.slackUserId] : [],
      });
      if (closure.kind === 'expired') {
        await noteTicket(
          rt,
          'dispute.expired.public',
          'Our review of your dispute is taking longer than expected. No change has been made to your account yet. Your dispute stays open on this ticket, assigned to a member of our finance team, who will reply here.',
          true,
        );
        return rt.finish(
          CaseStatus.Expired,
          `no decision within ${humanDuration(policy.approvalTimeoutMs)}: failed closed, no money moved`,
        );
      }
      if (closure.kind === 'approved') {
        rt.facts.push(`Dispute accepted by ${closure.votes.map((v) => v.actor.name ?? v.actor.id).join(' and ')}`);
        acceptance = { requestId: closure.requestId, escalated: closure.escalated, votes: closure.votes };
        break;
      }
      const by = closure.vote.actor.name ?? closure.vote.actor.id;
      if (closure.action === DecisionAction.Contest) {
        rt.facts.push(`Dispute contested by ${by}`);
        rt.setHandoff({ nextStep: 'Submit the evidence gathered in Drive' });
        // Only what the case holds and says here: nothing is attached to the ticket (the evidence is in our Drive).
        await noteTicket(
          rt,
          'dispute.contested.public',
          `After review, we believe this charge is correct${invoice ? `: invoice ${invoice.docNumber}, ${formatMoney(invoice.total.amountMinor, invoice.total.currency)}${invoice.dueDate ? `, due ${invoice.dueDate}` : ''}` : ` (${shown})`}. If you have further information, reply to this ticket and we will review it.`,
          true,
        );
        await doneNote(rt, 'dispute.contested.note');
        return rt.finish(CaseStatus.Completed, `contested by ${by}`);
      }
      // Need info: ask the customer, then a fresh request (the old message's buttons are gone).
      rt.facts.push(`More information requested by ${by} (round ${round})`);
      await noteTicket(
        rt,
        `dispute.needinfo.${round}.public`,
        `To review your dispute we need a little more information${closure.vote.reason ? `: ${closure.vote.reason}` : ''}. Please reply to this ticket.`,
        true,
      );
      if (round >= MAX_INFO_ROUNDS) return needsAttention(rt, `information requested ${round} times; a person takes the dispute from here`);
    }

    if (!account.customer)
      return needsAttention(rt, `dispute accepted but account ${fields.accountId} not found in QuickBooks: refund not recorded`);
    if (!acceptance) throw new Error('dispute loop ended without an acceptance');
    if (plan && credits && nothing && invoice) {
      // Nothing owed, nothing paid left to refund: say so, and move nothing.
      rt.setHandoff({ nextStep: 'None: nothing was owed or left to refund on the invoice' });
      await noteTicket(
        rt,
        'dispute.accepted.nothing.public',
        `We accepted your dispute. Invoice ${invoice.docNumber} has nothing owed on it, and what was paid on it has already been refunded or credited, so no further credit or refund was made. Reply to this ticket if you think this is wrong.`,
        true,
      );
      await doneNote(rt, 'dispute.accepted.note');
      return rt.finish(
        CaseStatus.Completed,
        `dispute accepted, but nothing is owed or left to refund on ${invoice.docNumber}: nothing credited or refunded`,
      );
    }
    // Where the money goes back, as for a refund_request: the card a QuickBooks Payments charge paid
    // with, or a person (the account owner) on the customer's platform or the way they paid.
    const returnTo: ReturnTo = {
      ...(account.contact?.paymentPlatform ? { paymentPlatform: account.contact.paymentPlatform } : {}),
      ...(account.owner ? { owner: account.owner } : {}),
      ...(account.contact ? { contactId: account.contact.id } : {}),
    };
    if (plan && credits && invoice)
      return acceptWithCredit(rt, {
        plan,
        invoice: { id: invoice.id, docNumber: invoice.docNumber },
        customerId: account.customer.id,
        currency: amount.currency,
        paysThroughSkyfire: account.paysThroughSkyfire,
        ...returnTo,
        mentions: [...money.approvers, ...(account.owner?.slackUserId ? [account.owner.slackUserId] : [])],
        authority: {
          kind: 'approval',
          requestId: acceptance.requestId,
          countingAction: DecisionAction.Accept,
          escalated: acceptance.escalated,
          votes: acceptance.votes,
        },
      });
    const result = await moveMoney(
      rt,
      {
        customerId: account.customer.id,
        amount,
        ...(invoice ? { invoiceId: invoice.id, invoiceNumber: invoice.docNumber } : {}),
        kind: fields.creditRequest ? 'credit_memo' : 'refund_receipt',
        paysThroughSkyfire: account.paysThroughSkyfire,
        ...returnTo,
        mentions: [...money.approvers, ...(account.owner?.slackUserId ? [account.owner.slackUserId] : [])],
        // The accepted dispute is the authority: its Accept votes, verified again before money moves.
        authority: {
          kind: 'approval',
          requestId: acceptance.requestId,
          countingAction: DecisionAction.Accept,
          escalated: acceptance.escalated,
          votes: acceptance.votes,
        },
      },
      'dispute.refund',
    );
    if ('state' in result) return result.state;
    const onInvoice = invoice ? ` on invoice ${invoice.docNumber}` : '';
    rt.setHandoff({ nextStep: 'None: dispute accepted and refunded' });
    await noteTicket(
      rt,
      'dispute.accepted.public',
      `We accepted your dispute and ${fields.creditRequest ? `credited your account with ${shown}${onInvoice}` : refundedText(shown, result, onInvoice)}.`,
      true,
    );
    await doneNote(rt, 'dispute.accepted.note');
    await showOutcome(rt, {
      text: `Dispute accepted: ${fields.creditRequest ? 'credit' : 'refund'} recorded in QuickBooks, ${recordLink(`${result.record.object} ${result.record.id}`, result.record.url)}${returnedNote(result)}; the customer was told on the ticket`,
      status: CaseStatus.Completed,
      nextStep: 'None: dispute accepted and refunded',
    });
    return rt.finish(CaseStatus.Completed, 'dispute accepted: refunded');
  });
}

/**
 * Accept on an invoice that is still owed (in full or in part): the owed part is credited against
 * its balance first (`dispute.credit`: a CreditMemo applied to the invoice), then the paid part is
 * refunded (`dispute.refund`, as a plain accepted dispute), each its own ledger entry with its own
 * bound. The customer is told what QuickBooks recorded, and nothing else.
 */
async function acceptWithCredit(
  rt: CaseRuntime,
  a: {
    plan: DisputePlan;
    invoice: { id: string; docNumber: string };
    customerId: string;
    currency: string;
    paysThroughSkyfire: boolean;
    mentions: string[];
    authority: Parameters<typeof moveMoney>[1]['authority'];
  } & ReturnTo,
): Promise<CaseState> {
  const { plan, invoice } = a;
  const money = (minor: number) => ({ amountMinor: minor, currency: a.currency });
  const common = {
    customerId: a.customerId,
    invoiceId: invoice.id,
    invoiceNumber: invoice.docNumber,
    paysThroughSkyfire: a.paysThroughSkyfire,
    ...(a.paymentPlatform ? { paymentPlatform: a.paymentPlatform } : {}),
    ...(a.owner ? { owner: a.owner } : {}),
    ...(a.contactId ? { contactId: a.contactId } : {}),
    mentions: a.mentions,
    authority: a.authority,
    plan,
  };
  const credit = await moveMoney(rt, { ...common, amount: money(plan.creditMinor), kind: 'balance_credit' }, 'dispute.credit');
  if ('state' in credit) return credit.state;
  const credited = formatMoney(credit.record.amount.amountMinor, credit.record.amount.currency);
  const creditText = `credited ${credited} against invoice ${invoice.docNumber}, so that amount is no longer owed`;
  let refund: RefundRecord | undefined;
  let moved: MoneyMoved | undefined;
  if (plan.refundMinor > 0) {
    const r = await moveMoneyLeg(rt, { ...common, amount: money(plan.refundMinor), kind: plan.refundKind }, 'dispute.refund');
    if ('state' in r) {
      // The case ended needing a person on the refund (its reason is in the case); the credit happened.
      await noteTicket(
        rt,
        'dispute.accepted.partial.public',
        `We accepted your dispute and ${creditText}. The refund of ${formatMoney(plan.refundMinor, a.currency)} of what was paid could not be completed automatically; our finance team has it and will confirm it on this ticket.`,
        true,
      );
      return r.state;
    }
    if ('refused' in r) {
      const wanted = formatMoney(plan.refundMinor, a.currency);
      await noteTicket(
        rt,
        'dispute.accepted.partial.public',
        `We accepted your dispute and ${creditText}. The ${plan.refundKind === 'credit_memo' ? 'credit' : 'refund'} of ${wanted} of what was paid was not issued after checking our records. Reply to this ticket if you have questions.`,
        true,
      );
      return needsAttention(
        rt,
        `dispute accepted: ${credited} credited against ${invoice.docNumber}, but the ${plan.refundKind === 'credit_memo' ? 'credit' : 'refund'} of ${wanted} paid was refused by the money path (${r.refused.reason}); nothing else moved`,
      );
    }
    refund = r.record;
    moved = r;
  }
  const refunded = refund ? formatMoney(refund.amount.amountMinor, refund.amount.currency) : undefined;
  const refundText = refund
    ? plan.refundKind === 'credit_memo'
      ? `credited your account with ${refunded} of what was paid`
      : refundedText(refunded!, moved!, ' of what was paid')
    : undefined;
  rt.setHandoff({ nextStep: `None: dispute accepted, ${refund ? 'credited and refunded' : 'credited'}` });
  await noteTicket(
    rt,
    'dispute.accepted.public',
    `We accepted your dispute and ${creditText}${refundText ? `, and ${refundText}` : ''}.`,
    true,
  );
  await doneNote(rt, 'dispute.accepted.note');
  const link = (r: RefundRecord) => recordLink(`${r.object} ${r.id}`, r.url);
  await showOutcome(rt, {
    text: `Dispute accepted: ${credited} credited against ${invoice.docNumber} in QuickBooks (${link(credit.record)}, applied to the invoice)${refund ? `; ${refunded} ${plan.refundKind === 'credit_memo' ? 'credited to the customer' : 'refunded'} (${link(refund)}${moved ? returnedNote(moved) : ''})` : ''}; the customer was told on the ticket`,
    status: CaseStatus.Completed,
    nextStep: `None: dispute accepted, ${refund ? 'credited and refunded' : 'credited'}`,
  });
  return rt.finish(
    CaseStatus.Completed,
    `dispute accepted: ${credited} credited against the balance${refund ? `, ${refunded} ${plan.refundKind === 'credit_memo' ? 'credited' : 'refunded'}` : ''}`,
  );
}

/** Where an accepted dispute's refund goes back (see `RefundOrder`). */
type ReturnTo = Pick<RefundOrder, 'paymentPlatform' | 'owner' | 'contactId'>;

/** What the customer reads of a refund: only what happened (the card refunded, or the return a person confirmed). */
function refundedText(shown: string, moved: MoneyMoved, ofWhat = ''): string {
  if (moved.card)
    return `refunded ${formatMoney(moved.card.refunded.amountMinor, moved.card.refunded.currency)}${ofWhat} to your card (QuickBooks Payments)`;
  if (moved.returned)
    return moved.returned.named && customerPlatformName(moved.returned.platform)
      ? `returned ${shown}${ofWhat} to you through ${customerPlatformName(moved.returned.platform)}, as our finance team confirmed`
      : `returned ${shown}${ofWhat} to you the way you paid, as our finance team confirmed`;
  return `refunded ${shown}${ofWhat}`;
}

/** For finance: how the money went back, after the record. */
function returnedNote(moved: MoneyMoved): string {
  if (moved.card) return `, after QuickBooks Payments refunded the card (refund ${moved.card.refundId} ${moved.card.status})`;
  if (moved.returned)
    return `, after the return ${moved.returned.named ? `through ${moved.returned.platform}` : 'the way the customer paid'} was confirmed by ${moved.returned.confirmedBy}`;
  return '';
}
