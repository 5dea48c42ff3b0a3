/**
 * `charge_dispute` (docs/product.md §4): a customer-facing Zendesk ticket; evidence (invoice PDF,
 * transcript link) gathered to Drive; a Slack escalation to finance with Accept / Contest / Need
 * info, with reminders and escalation until decided. Accept leads into the refund path (two
 * people above the two-person threshold, as for any refund); Need info asks the customer and opens
 * a new request, so clicks on the old one change nothing.
 */
import { patched } from '@temporalio/workflow';
import type { CaseInput } from '../domain/case';
import { CaseStatus } from '../domain/case';
import { requiredApprovals } from '../policy/thresholds';
import { tierAmount } from '../policy/money-rules';
import { callerReasonText } from '../policy/wording';
import { humanDuration, recordLink, requestApproval, financeReview, showOutcome } from './approval';
import { CaseRuntime, formatMoney } from './case-runtime';
import { DecisionAction, type ApprovalVote, type CaseState } from './messages';
import { moveMoney } from './money-path';
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
      invoice && patched('dispute-running-total')
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
          { label: 'Accepting refunds it', value: required > 1 ? 'needs two approvers' : 'needs one approver' },
          ...(notCallers
            ? [
                {
                  label: 'Warning',
                  value: `invoice ${invoice.docNumber} belongs to ANOTHER customer than account ${fields.accountId}: accepting will not refund it`,
                },
              ]
            : []),
          ...(round > 1 ? [{ label: 'Round', value: `${round} (after a request for information)` }] : []),
        ],
        actions: [
          { action: DecisionAction.Accept, label: 'Accept (refund)', style: 'primary' },
          { action: DecisionAction.Contest, label: 'Contest', style: 'danger' },
          { action: DecisionAction.NeedInfo, label: 'Need info' },
        ],
        countingAction: DecisionAction.Accept,
        nextStepAfterApproval: `Record the ${fields.creditRequest ? 'credit' : 'refund'} in QuickBooks`,
        ...financeReview(money, policy),
        required,
        amount,
        ...(running > 0 ? { tierAmount: tier } : {}),
        subject: {
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
    const result = await moveMoney(
      rt,
      {
        customerId: account.customer.id,
        amount,
        ...(invoice ? { invoiceId: invoice.id, invoiceNumber: invoice.docNumber } : {}),
        kind: fields.creditRequest ? 'credit_memo' : 'refund_receipt',
        paysThroughSkyfire: account.paysThroughSkyfire,
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
    rt.setHandoff({ nextStep: 'None: dispute accepted and refunded' });
    await noteTicket(
      rt,
      'dispute.accepted.public',
      `We accepted your dispute and refunded ${shown}${invoice ? ` on invoice ${invoice.docNumber}` : ''}.`,
      true,
    );
    await doneNote(rt, 'dispute.accepted.note');
    await showOutcome(rt, {
      text: `Dispute accepted: ${fields.creditRequest ? 'credit' : 'refund'} recorded in QuickBooks, ${recordLink(`${result.record.object} ${result.record.id}`, result.record.url)}; the customer was told on the ticket`,
      status: CaseStatus.Completed,
      nextStep: 'None: dispute accepted and refunded',
    });
    return rt.finish(CaseStatus.Completed, 'dispute accepted: refunded');
  });
}
