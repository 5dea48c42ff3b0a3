/**
 * The Skyfire leg of a refund for accounts that pay through Skyfire: wallet balance check, KYA
 * token, one pay token tagged with the case step and handed to the seller service, then a durable
 * wait until Skyfire shows the seller charged it. On Skyfire money moves only when the seller
 * charges; an uncharged token merely holds funds until its charge window ends. So this returns
 * success only once the charge is seen (`moneyMoved: true`), and a token nobody charges ends the
 * case in needs-attention saying no money moved. Called only from the money path, after the invoice
 * was re-checked under its lock and before the QuickBooks record is written.
 */
import { sleep } from '@temporalio/workflow';
import { CaseStatus, type Money } from '../domain/case';
import { ActivityErrorType } from '../temporal/activity-retry';
import { formatMoney } from '../domain/money';
import type { CaseRuntime } from './case-runtime';
import type { CaseState } from '../domain/case-state';
import { activityErrorType, noteTicket } from './steps';
import type { MoneyEntryView, SettlePayTokenResult } from '../activities/money-contract';

/** Longest wait between two looks at the token's charges (the interval doubles up to this). */
const MAX_POLL_MS = 30 * 60_000;

/** What the Skyfire path needs of a refund order (money-path's RefundOrder is one): how much, and whom to mention. */
export interface SkyfireOrder {
  amount: Money;
  /** Slack user ids to mention when finance must step in. */
  mentions: string[];
}

export interface SkyfirePaid {
  payTokenId: string;
  /** True when the seller's charge was seen through Skyfire's token charges; false only for cases whose token predates this check (legacy replay). */
  moneyMoved: boolean;
  /** Skyfire's ids of the charges on the token (may be empty where Skyfire's answer carries none). */
  chargeIds: string[];
}

/** Pays through Skyfire; `{ state }` when the case had to stop (no money moved, or not all of it, and it says so). */
export async function payThroughSkyfire(
  rt: CaseRuntime,
  order: SkyfireOrder,
  stepPrefix: string,
): Promise<SkyfirePaid | { state: CaseState }> {
  const { getWalletBalance, createKyaToken, createPayToken, getPayTokenCharges, postFinanceAlert } = rt.acts;
  const shown = formatMoney(order.amount.amountMinor, order.amount.currency);
  const stop = async (title: string, reason: string, fields: { label: string; value: string }[], noteExtra: string) => {
    await postFinanceAlert({
      step: `${stepPrefix}.skyfire.alert`,
      channel: (await rt.policy()).financeChannel,
      view: {
        workflowId: rt.workflowId,
        title,
        urgency: 'high',
        noteLines: rt.note('slack').split('\n'),
        fields: [{ label: 'Refund', value: shown }, ...fields],
        mentions: order.mentions,
        links: rt.links(),
      },
    });
    await noteTicket(rt, `${stepPrefix}.skyfire.note`, `${reason}. ${noteExtra}`);
    return { state: await rt.finish(CaseStatus.NeedsAttention, reason) };
  };
  const insufficient = (available: string) =>
    stop(
      'Skyfire wallet balance too low for a refund',
      `Skyfire wallet balance too low for ${shown} (available ${available}): no pay token created, no money moved`,
      [{ label: 'Wallet available', value: available }],
      'Finance was alerted to top up the wallet.',
    );

  const balance = await getWalletBalance({ currency: order.amount.currency });
  const available = formatMoney(balance.available.amountMinor, balance.available.currency);
  rt.facts.push(`Skyfire wallet available ${available}`);
  if (balance.available.currency !== order.amount.currency || balance.available.amountMinor < order.amount.amountMinor)
    return insufficient(available);
  const kya = await createKyaToken({ step: `${stepPrefix}.kya` });
  rt.kyaTokenId = kya.tokenId;

  let pay;
  try {
    pay = await createPayToken({ step: `${stepPrefix}.pay`, amount: order.amount });
  } catch (err) {
    const type = activityErrorType(err);
    // The balance can drop between the check and the token (other spending): same outcome, no token.
    if (type === ActivityErrorType.InsufficientFunds) return insufficient(available);
    // A lost create answer, or no seller endpoint: never a second reservation; a person looks.
    if (type === ActivityErrorType.BusinessRule || type === ActivityErrorType.Validation) {
      const why = (err as { cause?: { message?: string } }).cause?.message ?? 'Skyfire refused the pay token';
      return stop(
        'Skyfire refund needs a person',
        `Skyfire pay token for ${shown} not confirmed: ${why.slice(0, 300)}`,
        [],
        'No refund was recorded and the customer was not told it was issued.',
      );
    }
    throw err;
  }
  rt.addRecord({ system: 'skyfire', object: 'pay_token', id: pay.tokenId });
  // Cases that created their token before this release go on as they did (their history has no charge reads).
  if (!rt.patched('skyfire-wait-for-charge')) return { payTokenId: pay.tokenId, moneyMoved: false, chargeIds: [] };
  rt.facts.push(
    `Skyfire pay token ${pay.tokenId} for ${shown} ${pay.handedOver ? 'handed to the seller service' : '(hand-over to the seller service unconfirmed)'}`,
  );

  // Wait, durably, for the seller's charge: timers survive restarts; reads failing meanwhile just
  // mean another look later. Workflow time is deterministic, so the deadline check replays the same.
  const deadline = Date.parse(pay.chargeDeadline);
  let interval = Math.max(1000, pay.pollIntervalMs);
  let charged = 0;
  let chargeIds: string[];
  for (;;) {
    try {
      const c = await getPayTokenCharges({ tokenId: pay.tokenId, currency: order.amount.currency });
      charged = c.charged.amountMinor;
      chargeIds = c.chargeIds;
      if (charged >= order.amount.amountMinor) break;
    } catch (err) {
      if (activityErrorType(err) === ActivityErrorType.Validation || activityErrorType(err) === ActivityErrorType.Auth) throw err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const got = formatMoney(charged, order.amount.currency);
      const reason =
        charged > 0
          ? `Skyfire pay token ${pay.tokenId}: the seller service charged ${got} of ${shown} before its charge window closed; the rest was not paid`
          : `Skyfire pay token ${pay.tokenId} for ${shown} was not charged by the seller service before its charge window closed: no money moved and the hold is released`;
      return stop(
        'Skyfire refund was not charged',
        reason,
        [
          { label: 'Charged', value: got },
          { label: 'Pay token', value: pay.tokenId },
        ],
        'No refund was recorded and the customer was not told it was issued.',
      );
    }
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 2, MAX_POLL_MS);
  }
  rt.facts.push(
    `Skyfire charge seen: ${formatMoney(charged, order.amount.currency)} moved to the seller service${chargeIds.length ? ` (charge ${chargeIds.join(', ')})` : ''}`,
  );
  return { payTokenId: pay.tokenId, moneyMoved: true, chargeIds };
}

/** What the ledger-backed Skyfire leg ends with when money moved: the token, and what the seller charged. */
export interface SkyfireSettled {
  payTokenId: string;
  settled: Money;
  partial: boolean;
}

/**
 * The Skyfire leg on the ledger: the entry `entry` is already reserved. At most one pay token per
 * entry (the ledger remembers it across retries, workers and resets), then a durable wait until
 * the ledger settles the entry on Skyfire's charges or releases it once the token expired
 * uncharged. Every way out says what is known: money moved (and how much), no money moved, or
 * that it may have (the reservation is kept for the reconciliation and a person).
 */
export async function payThroughSkyfireLedger(
  rt: CaseRuntime,
  order: SkyfireOrder,
  stepPrefix: string,
  entry: MoneyEntryView,
): Promise<SkyfireSettled | { state: CaseState }> {
  const { getWalletBalance, createKyaToken, createPayToken, settlePayToken, postFinanceAlert } = rt.acts;
  const shown = formatMoney(order.amount.amountMinor, order.amount.currency);
  const recordStep = `${stepPrefix}.record`;
  const stop = async (title: string, reason: string, fields: { label: string; value: string }[], noteExtra: string) => {
    await postFinanceAlert({
      step: `${stepPrefix}.skyfire.alert`,
      channel: (await rt.policy()).financeChannel,
      view: {
        workflowId: rt.workflowId,
        title,
        urgency: 'high',
        noteLines: rt.note('slack').split('\n'),
        fields: [{ label: 'Refund', value: shown }, { label: 'Ledger entry', value: entry.ref }, ...fields],
        mentions: order.mentions,
        links: rt.links(),
      },
    });
    await noteTicket(rt, `${stepPrefix}.skyfire.note`, `${reason}. ${noteExtra}`);
    return { state: await rt.finish(CaseStatus.NeedsAttention, reason) };
  };
  /** After a create that failed: the ledger says whether a token can exist (and releases the reservation when none can). */
  const afterFailedCreate = async (why: string) => {
    const r = await settlePayToken({ step: recordStep, currency: order.amount.currency });
    if (r.state === 'released')
      return stop(
        'Skyfire refund not paid',
        `${why}: no pay token was created, no money moved, and the reservation was released`,
        [],
        'The customer was not told it was issued.',
      );
    return stop(
      'Skyfire refund needs a person',
      `${why}. The pay token for ${shown} may exist: money may move if the seller charges it, so the reservation ${entry.ref} is kept until Skyfire shows what happened`,
      [],
      'No refund was recorded and the customer was not told it was issued.',
    );
  };

  if (!entry.payTokenId && entry.tokenStage === 'none') {
    const balance = await getWalletBalance({ currency: order.amount.currency });
    const available = formatMoney(balance.available.amountMinor, balance.available.currency);
    rt.facts.push(`Skyfire buyer wallet (the service's own) available ${available}`);
    if (balance.available.currency !== order.amount.currency || balance.available.amountMinor < order.amount.amountMinor)
      return afterFailedCreate(`Skyfire wallet balance too low for ${shown} (available ${available})`);
    const kya = await createKyaToken({ step: `${stepPrefix}.kya` });
    rt.kyaTokenId = kya.tokenId;
  }

  let pay;
  try {
    // Returns the entry's token when it has one (a retry or a reset), or creates the only one.
    pay = await createPayToken({ step: `${stepPrefix}.pay`, amount: order.amount });
  } catch (err) {
    const type = activityErrorType(err);
    if (type === ActivityErrorType.InsufficientFunds) return afterFailedCreate(`Skyfire wallet balance too low for ${shown}`);
    if (type === ActivityErrorType.BusinessRule || type === ActivityErrorType.Validation) {
      const why = (err as { cause?: { message?: string } }).cause?.message ?? 'Skyfire refused the pay token';
      return afterFailedCreate(`Skyfire pay token for ${shown} not confirmed: ${why.slice(0, 300)}`);
    }
    throw err;
  }
  rt.addRecord({ system: 'skyfire', object: 'pay_token', id: pay.tokenId });
  rt.facts.push(
    `Skyfire pay token ${pay.tokenId} for ${shown} ${pay.reused ? 'found in the ledger' : pay.handedOver ? 'handed to the seller service' : '(hand-over to the seller service unconfirmed)'}`,
  );

  // Wait, durably, for the evidence: timers survive restarts; reads failing meanwhile just mean
  // another look later (the reservation holds the money either way).
  const deadline = Date.parse(pay.chargeDeadline);
  let interval = Math.max(1000, pay.pollIntervalMs);
  for (;;) {
    let r: SettlePayTokenResult | undefined;
    try {
      r = await settlePayToken({ step: recordStep, currency: order.amount.currency });
    } catch (err) {
      if (activityErrorType(err) === ActivityErrorType.Validation || activityErrorType(err) === ActivityErrorType.Auth) throw err;
    }
    if (r?.state === 'settled') {
      rt.facts.push(
        `Skyfire charge seen: ${formatMoney(r.settled.amountMinor, r.settled.currency)} moved to the seller service; ledger entry ${entry.ref} settled`,
      );
      return { payTokenId: pay.tokenId, settled: r.settled, partial: r.partial };
    }
    if (r?.state === 'released')
      return stop(
        'Skyfire refund was not charged',
        `Skyfire pay token ${pay.tokenId} for ${shown} was not charged by the seller service before its charge window closed: no money moved and the reservation was released`,
        [{ label: 'Pay token', value: pay.tokenId }],
        'No refund was recorded and the customer was not told it was issued.',
      );
    if (r?.state === 'unknown') return afterFailedCreate(r.reason);
    const left = Math.max(1000, deadline - Date.now());
    await sleep(Math.min(interval, left));
    interval = Math.min(interval * 2, MAX_POLL_MS);
  }
}
