/**
 * The Skyfire leg of a refund for accounts that pay through Skyfire: wallet balance check, KYA
 * token, one pay token tagged with the case step. Called only from the money path, after the
 * invoice was re-checked under its lock and before the QuickBooks record is written.
 */
import { CaseStatus } from '../domain/case';
import { ActivityErrorType } from '../policy/activity-retry';
import { formatMoney, type CaseRuntime } from './case-runtime';
import type { CaseState } from './messages';
import { activityErrorType, noteTicket } from './steps';
import type { RefundOrder } from './money-path';

/** Pays through Skyfire; `{ state }` when the case had to stop (too little balance: no token, finance alerted). */
export async function payThroughSkyfire(rt: CaseRuntime, order: RefundOrder, stepPrefix: string): Promise<{ payTokenId: string } | { state: CaseState }> {
  const { getWalletBalance, createKyaToken, createPayToken, postFinanceAlert } = rt.acts;
  const shown = formatMoney(order.amount.amountMinor, order.amount.currency);
  let payTokenId: string | undefined;
  const insufficient = async (available: string) => {
    const reason = `Skyfire wallet balance too low for ${shown} (available ${available}): no pay token created, no money moved`;
    await postFinanceAlert({
      step: `${stepPrefix}.skyfire.alert`,
      channel: (await rt.policy()).financeChannel,
      view: {
        workflowId: rt.workflowId,
        title: 'Skyfire wallet balance too low for a refund',
        urgency: 'high',
        noteLines: rt.note('slack').split('\n'),
        fields: [
          { label: 'Refund', value: shown },
          { label: 'Wallet available', value: available },
        ],
        mentions: order.mentions,
        links: rt.links(),
      },
    });
    await noteTicket(rt, `${stepPrefix}.skyfire.note`, `${reason}. Finance was alerted to top up the wallet.`);
    return { state: await rt.finish(CaseStatus.NeedsAttention, reason) };
  };
  const balance = await getWalletBalance({ currency: order.amount.currency });
  const available = formatMoney(balance.available.amountMinor, balance.available.currency);
  rt.facts.push(`Skyfire wallet available ${available}`);
  if (balance.available.currency !== order.amount.currency || balance.available.amountMinor < order.amount.amountMinor) return insufficient(available);
  const kya = await createKyaToken({ step: `${stepPrefix}.kya` });
  rt.kyaTokenId = kya.tokenId;
  try {
    const pay = await createPayToken({ step: `${stepPrefix}.pay`, amount: order.amount });
    payTokenId = pay.tokenId;
    rt.addRecord({ system: 'skyfire', object: 'pay_token', id: pay.tokenId });
    rt.facts.push(`Skyfire pay token ${pay.tokenId} for ${shown}`);
  } catch (err) {
    // The balance can drop between the check and the token (other spending): same outcome, no token.
    if (activityErrorType(err) === ActivityErrorType.InsufficientFunds) return insufficient(available);
    throw err;
  }
  return { payTokenId: payTokenId as string };
}
