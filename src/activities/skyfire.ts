/**
 * Skyfire business steps: the buyer wallet balance, a KYA token for the case, and a pay token that
 * reserves funds. Skyfire has no idempotency key, so tokens carry the case + step in `buyerTag` and
 * a retry reuses the live token an earlier attempt created. The JWT itself is a bearer credential:
 * it never enters workflow history or logs, only its id does.
 */
import type { CaseActivities, PayTokenRef, SkyfireTokenRef } from './contract';
import type { SkyfireClient, SkyfireToken } from '../connectors/skyfire';
import { InsufficientFundsError, ValidationError } from '../connectors/errors';
import { currentCase, log, requirePositive, toDecimal, toMinorFloor } from './support';
import { stableKey } from '../connectors/http';

export interface SkyfireActivityDeps {
  skyfire: SkyfireClient;
}

type SkyfireActivities = Pick<CaseActivities, 'getWalletBalance' | 'createKyaToken' | 'createPayToken'>;

/** Skyfire settles in USD only. */
const SKYFIRE_CURRENCY = 'USD';

/** `<workflowId>/<step>`, or a hash of it when long: readable in Skyfire's dashboard, stable across retries. */
export function buyerTagFor(workflowId: string, step: string): string {
  const tag = `${workflowId}/${step}`;
  return tag.length <= 120 ? tag : `case-${stableKey([workflowId, step], 40)}`;
}

const ref = (t: SkyfireToken): SkyfireTokenRef => ({ tokenId: t.tokenId, expiresAt: new Date(t.expiresAt * 1000).toISOString(), buyerTag: t.buyerTag, reused: t.reused });

export function createSkyfireActivities(deps: SkyfireActivityDeps): SkyfireActivities {
  const sf = deps.skyfire;
  const tagFor = (step: string) => {
    if (!step?.trim()) throw new ValidationError({ system: 'skyfire' }, 'step is required');
    return buyerTagFor(currentCase().workflowId, step);
  };

  return {
    async getWalletBalance({ currency }) {
      if (currency !== SKYFIRE_CURRENCY) throw new ValidationError({ system: 'skyfire' }, `Skyfire wallets hold ${SKYFIRE_CURRENCY}, not ${currency}`);
      const b = await sf.getBalance();
      return { available: { amountMinor: toMinorFloor(b.available, currency), currency }, held: { amountMinor: toMinorFloor(b.heldAmount, currency), currency } };
    },

    async createKyaToken({ step }) {
      const t = await sf.createTokenOnce({ type: 'kya', buyerTag: tagFor(step) });
      log('skyfire kya token', { tokenId: t.tokenId, reused: t.reused, step });
      return ref(t);
    },

    async createPayToken({ step, amount }): Promise<PayTokenRef> {
      requirePositive('skyfire', amount);
      if (amount.currency !== SKYFIRE_CURRENCY) throw new ValidationError({ system: 'skyfire' }, `Skyfire pays in ${SKYFIRE_CURRENCY}, not ${amount.currency}`);
      const buyerTag = tagFor(step);
      // Reconcile first: a live token for this step means an earlier attempt already reserved the
      // funds. Only then check the balance, so a short wallet is a clear InsufficientFundsError.
      const live = (await sf.listTokensByBuyerTag(buyerTag)).find((t) => t.expiresAt > Date.now() / 1000 + 60 && t.status !== 'EXPIRED' && t.status !== 'CANCELLED');
      let token: SkyfireToken;
      if (live) token = { tokenId: live.tokenId, expiresAt: live.expiresAt, buyerTag, reused: true };
      else {
        const balance = await sf.getBalance();
        if (toMinorFloor(balance.available, amount.currency) < amount.amountMinor) {
          throw new InsufficientFundsError({ system: 'skyfire', code: 'PAYMENT_ERROR' }, 'wallet balance is below the pay token amount');
        }
        token = await sf.createToken({ type: 'pay', buyerTag, tokenAmount: toDecimal(amount.amountMinor, amount.currency, 'skyfire') });
      }
      log('skyfire pay token', { tokenId: token.tokenId, reused: token.reused, step });
      return { ...ref(token), amount };
    },
  };
}
