/**
 * Skyfire business steps: the buyer wallet balance, a KYA token for the case, and a refund's pay
 * token, which only reserves funds: money moves when the seller service it is handed to charges it,
 * and `getPayTokenCharges` is how the case sees that (Skyfire's documented buyer-side read).
 *
 * Exactly once, failing safe: Skyfire has no idempotency key and documents no token listing, so a
 * create whose answer was lost cannot be found again. Each attempt tells the next, through its
 * heartbeat details, how far it got; a retry that finds "a create may have been sent" (or nothing,
 * after attempt 1) refuses with SKYFIRE_OUTCOME_UNKNOWN instead of reserving the funds twice: a
 * person checks the Skyfire dashboard for the buyerTag; an uncharged token's hold ends by itself.
 * The JWT is a bearer credential: it never enters workflow history, heartbeats or logs.
 */
import { Context } from '@temporalio/activity';
import type { CaseActivities } from './contract';
import type { PayTokenRef, SkyfireTokenRef } from '../domain/records';
import type { SkyfireClient, SkyfireToken } from '../connectors/skyfire';
import {
  BusinessRuleError,
  ConnectorError,
  InsufficientFundsError,
  RateLimitedError,
  TransientError,
  ValidationError,
} from '../connectors/errors';
import { currentCase, log, requirePositive, toDecimal, toMinorFloor } from './support';
import { stableKey } from '../connectors/http';
import type { Ledger } from '../ledger/store';
import { entryKey } from './money';

export interface SkyfireActivityDeps {
  skyfire: SkyfireClient;
  /** The money ledger: a pay token is created only for a pending entry, and at most once per entry (src/ledger/store.ts). */
  ledger: Ledger;
  /** Refund pay tokens: the seller service's endpoint, token lifetime, charge grace and poll interval (config.connectors.skyfire). */
  refunds: { sellerServiceUrl?: string; payTokenTtlSeconds: number; chargeGraceMs: number; chargePollMs: number };
}

type SkyfireActivities = Pick<CaseActivities, 'getWalletBalance' | 'createKyaToken' | 'createPayToken' | 'getPayTokenCharges'>;

/** Skyfire settles in USD only. */
const SKYFIRE_CURRENCY = 'USD';

/** `<workflowId>/<step>`, or a hash of it when long: readable in Skyfire's dashboard, stable across retries. */
export function buyerTagFor(workflowId: string, step: string): string {
  const tag = `${workflowId}/${step}`;
  return tag.length <= 120 ? tag : `case-${stableKey([workflowId, step], 40)}`;
}

const ref = (t: SkyfireToken): SkyfireTokenRef => ({
  tokenId: t.tokenId,
  expiresAt: new Date(t.expiresAt * 1000).toISOString(),
  buyerTag: t.buyerTag,
  reused: t.reused,
});

export function createSkyfireActivities(deps: SkyfireActivityDeps): SkyfireActivities {
  const sf = deps.skyfire;
  const tagFor = (step: string) => {
    if (!step?.trim()) throw new ValidationError({ system: 'skyfire' }, 'step is required');
    return buyerTagFor(currentCase().workflowId, step);
  };

  return {
    async getWalletBalance({ currency }) {
      if (currency !== SKYFIRE_CURRENCY)
        throw new ValidationError({ system: 'skyfire' }, `Skyfire wallets hold ${SKYFIRE_CURRENCY}, not ${currency}`);
      const b = await sf.getBalance();
      return {
        available: { amountMinor: toMinorFloor(b.available, currency), currency },
        held: { amountMinor: toMinorFloor(b.heldAmount, currency), currency },
      };
    },

    async createKyaToken({ step }) {
      // Identity only: holds no funds, so a retry that creates a second one costs nothing.
      const t = await sf.createToken({ type: 'kya', buyerTag: tagFor(step) });
      log('skyfire kya token', { tokenId: t.tokenId, step });
      return ref(t);
    },

    async createPayToken({ step, amount }): Promise<PayTokenRef> {
      requirePositive('skyfire', amount);
      if (amount.currency !== SKYFIRE_CURRENCY)
        throw new ValidationError({ system: 'skyfire' }, `Skyfire pays in ${SKYFIRE_CURRENCY}, not ${amount.currency}`);
      const { sellerServiceUrl, payTokenTtlSeconds, chargeGraceMs, chargePollMs } = deps.refunds;
      if (!sellerServiceUrl)
        throw new ValidationError(
          { system: 'skyfire', code: 'NO_SELLER_ENDPOINT' },
          'no seller service endpoint (SKYFIRE_SELLER_SERVICE_URL) to hand a pay token to: no token created, no money moved',
        );
      const buyerTag = tagFor(step);
      const ctx = Context.current();
      const { workflowId } = currentCase();
      const key = entryKey(workflowId, step);
      const deadlineOf = (expiresAt: number) => new Date(expiresAt * 1000 + chargeGraceMs).toISOString();
      const result = (tokenId: string, chargeDeadline: string, handedOver: boolean, reused: boolean): PayTokenRef => ({
        tokenId,
        expiresAt: new Date(Date.parse(chargeDeadline) - chargeGraceMs).toISOString(),
        buyerTag,
        reused,
        amount,
        handedOver,
        chargeDeadline,
        pollIntervalMs: chargePollMs,
      });
      const entry = await deps.ledger.get(key);
      if (!entry)
        throw new ValidationError(
          { system: 'skyfire', code: 'NOT_RESERVED' },
          `no ledger reservation for ${step}: a pay token is only created for reserved money`,
        );
      // A retry, a new worker or a reset of the case: the entry knows the token. The JWT is gone with
      // the process that made it; the seller may or may not have it, and the case watches the charges either way.
      if (entry.payTokenId && entry.chargeDeadline) return result(entry.payTokenId, entry.chargeDeadline, false, true);
      if (entry.state !== 'pending')
        throw new BusinessRuleError(
          { system: 'skyfire', code: 'NOT_PENDING' },
          `the ledger entry ${entry.ref} is ${entry.state}; no pay token is created for it`,
        );
      if (entry.amountMinor !== amount.amountMinor || entry.currency !== amount.currency)
        throw new ValidationError(
          { system: 'skyfire', code: 'AMOUNT_MISMATCH' },
          `the pay token amount differs from the reservation ${entry.ref}`,
        );
      // Written before the create and read by every later attempt, reset included: an attempt that
      // died after the create may have reached Skyfire, and Skyfire documents no way to find that
      // token again, so nobody creates a second one; a person checks (the reservation stays).
      const { attempt } = ctx.info;
      const begun = await deps.ledger.beginTokenCreate(key, attempt);
      if (!begun.allowed) {
        throw new BusinessRuleError(
          { system: 'skyfire', code: 'SKYFIRE_OUTCOME_UNKNOWN' },
          `an earlier attempt may have created a pay token (buyerTag ${buyerTag}) whose answer was lost; Skyfire offers no documented way to find it, so no second token was created and the reservation ${entry.ref} is kept. Check the Skyfire dashboard; an uncharged token's hold ends ${Math.round(chargeGraceMs / 3_600_000)} h after it expires`,
        );
      }
      let sent = false;
      let token: SkyfireToken;
      try {
        const balance = await sf.getBalance();
        if (toMinorFloor(balance.available, amount.currency) < amount.amountMinor) {
          throw new InsufficientFundsError({ system: 'skyfire', code: 'PAYMENT_ERROR' }, 'wallet balance is below the pay token amount');
        }
        sent = true;
        token = await sf.createToken({
          type: 'pay',
          buyerTag,
          tokenAmount: toDecimal(amount.amountMinor, amount.currency, 'skyfire'),
          expiresAt: Math.floor(Date.now() / 1000) + payTokenTtlSeconds,
        });
      } catch (err) {
        // Before the create, or with an answer from Skyfire (a 429 or 4xx refuses before it acts),
        // nothing was created. No answer, or a 5xx, leaves the outcome open (the stage stays `creating`).
        const answeredNo =
          err instanceof ConnectorError && err.status !== undefined && (err.status < 500 || err instanceof RateLimitedError);
        if (!sent || answeredNo)
          await deps.ledger.clearTokenCreate(key, attempt, !sent ? 'not sent' : `Skyfire answered ${(err as ConnectorError).status}`);
        throw err;
      }
      const chargeDeadline = deadlineOf(token.expiresAt);
      await deps.ledger.tokenCreated(key, { tokenId: token.tokenId, chargeDeadline });
      log('skyfire pay token', { tokenId: token.tokenId, step });
      // Hand it over now, while this process holds the JWT: a few quick tries, then the case waits
      // on the charges anyway (the seller may have received it even if its answer was lost).
      for (let i = 0; ; i++) {
        try {
          await sf.handOver(sellerServiceUrl, token.token as string, {
            reference: buyerTag,
            amount: toDecimal(amount.amountMinor, amount.currency, 'skyfire'),
            currency: amount.currency,
          });
          return result(token.tokenId, chargeDeadline, true, false);
        } catch (err) {
          const retryable = err instanceof TransientError || err instanceof RateLimitedError;
          if (!retryable || i >= 2) {
            log('skyfire pay token not handed over', { tokenId: token.tokenId, step, error: (err as Error).name });
            return result(token.tokenId, chargeDeadline, false, false);
          }
          await new Promise((r) => setTimeout(r, 500 * 2 ** i));
        }
      }
    },

    async getPayTokenCharges({ tokenId, currency }) {
      const c = await sf.getTokenCharges(tokenId);
      return { charged: { amountMinor: toMinorFloor(c.charged, currency), currency }, chargeIds: c.chargeIds };
    },
  };
}
