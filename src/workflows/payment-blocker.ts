/**
 * `payment_blocker` (docs/product.md §4): a VIP customer cannot pay. Immediate Slack alert to finance
 * mentioning the account owner, with the Skyfire wallet balance and open invoices; an urgent
 * Zendesk ticket; an acknowledgement ("I'm on it") is expected within the SLA, else escalation.
 */
import { type CaseInput, CaseStatus } from '../domain/case';
import { humanDuration } from '../policy/format';
import { requestApproval } from './approval';
import { CaseRuntime } from './case-runtime';
import { formatMoney } from '../domain/money';
import { DecisionAction } from '../domain/decision';
import type { CaseState } from '../domain/case-state';
import { loadAccount, noteTicket, openCaseTicket, runCase, doneNote } from './steps';
import { humanDate } from '../policy/dates';

export async function paymentBlocker(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { fields, policy } = input;
    if (!fields.accountId) rt.invalidInput('a payment blocker needs the account_id');
    rt.setStatus(CaseStatus.Gathering);
    const account = await loadAccount(rt, { owner: true });
    const balance = account.customer ? await rt.acts.getOpenBalance({ customerId: account.customer.id }) : null;
    const currency = fields.amount?.currency ?? balance?.total.currency ?? 'USD';
    const wallet = account.paysThroughSkyfire ? await rt.acts.getWalletBalance({ currency }) : null;
    const alertFields = [
      { label: 'Account', value: fields.accountId },
      ...(fields.escalationReason ? [{ label: 'Blocker', value: fields.escalationReason }] : []),
      ...(balance
        ? [
            { label: 'Open balance', value: formatMoney(balance.total.amountMinor, balance.total.currency) },
            {
              label: 'Open invoices',
              value:
                balance.openInvoices
                  .map(
                    (i) =>
                      `${i.docNumber} ${formatMoney(i.balance.amountMinor, i.balance.currency)} due ${i.dueDate ? humanDate(i.dueDate, input.policy.businessTimeZone) : 'n/a'}`,
                  )
                  .join('; ') || 'none',
            },
          ]
        : []),
      ...(wallet
        ? [
            {
              // Skyfire's buyer wallet is the service's own (what it pays refunds from), not the customer's money.
              label: "Our Skyfire buyer wallet (the service's, not the customer's)",
              value: `${formatMoney(wallet.available.amountMinor, wallet.available.currency)} available`,
            },
          ]
        : []),
    ];
    for (const f of alertFields.slice(1)) rt.facts.push(`${f.label}: ${f.value}`);

    await openCaseTicket(rt, 'We are on your payment issue', 'Our finance team has been alerted and will help you complete your payment.');
    const ownerSlack = account.owner?.slackUserId;
    rt.setHandoff({
      nextStep: 'Acknowledge ("I\'m on it") and unblock the payment',
      nextStepDeadline: new Date(Date.now() + policy.ackSlaMs).toISOString(),
    });
    const money = await rt.policy();
    const closure = await requestApproval(rt, {
      kind: 'acknowledge',
      step: 'blocker.alert',
      title: `Urgent: VIP customer cannot pay (account ${fields.accountId})`,
      fields: alertFields,
      actions: [{ action: DecisionAction.Acknowledge, label: "I'm on it", style: 'primary' }],
      countingAction: DecisionAction.Acknowledge,
      nextStepAfterApproval: 'Unblock the payment with the customer',
      approvers: [...(ownerSlack ? [ownerSlack] : []), ...money.approvers],
      // The account owner may say "I'm on it" besides finance (an acknowledgement moves no money).
      ...(ownerSlack ? { alsoEligible: [ownerSlack] } : {}),
      secondTierApprovers: money.secondTierApprovers,
      required: 1,
      // Reminders only after escalation would be noise; the SLA is the clock that matters.
      reminderIntervalMs: policy.reminderIntervalMs,
      escalateAfterMs: policy.ackSlaMs,
      timeoutMs: policy.approvalTimeoutMs,
      channel: money.financeChannel,
      urgency: 'urgent',
      mentions: ownerSlack ? [ownerSlack] : money.approvers,
      asAlert: true,
    });
    if (closure.kind === 'expired') {
      const reason = `nobody acknowledged within ${humanDuration(policy.approvalTimeoutMs)} despite escalation`;
      await noteTicket(rt, 'blocker.expired.note', `Payment blocker not acknowledged: ${reason}.`);
      return rt.finish(CaseStatus.Expired, reason);
    }
    const by = closure.kind === 'approved' ? closure.votes[0] : closure.vote;
    const escalated = rt.state.status === CaseStatus.Escalated;
    rt.facts.push(`Acknowledged by ${by.actor.name ?? by.actor.id}${escalated ? ' after escalation' : ' within the SLA'}`);
    rt.setHandoff({ owner: by.actor.id, ownerName: by.actor.name ?? by.actor.id, nextStep: 'Unblock the payment with the customer' });
    await doneNote(rt, 'blocker.ack.note');
    return rt.finish(CaseStatus.Completed, escalated ? 'acknowledged after escalation' : 'acknowledged within the SLA');
  });
}
