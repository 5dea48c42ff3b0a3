/**
 * The per-invoice money lock: one running workflow per invoice (or per customer for a refund that
 * names no invoice), id `money-lock-<key>`. The money activity starts it with a conflict policy of
 * FAIL, so at most one case holds it; the holder's id is in its memo so a retried activity of the
 * same case step finds it already holds the lock (a worker crash mid-write loses nothing). It ends
 * when the holder releases it, or when its lease runs out (a holder that was terminated mid-way
 * cannot block the invoice for ever; the lease outlasts every money activity's retries).
 *
 * Why a workflow and not a database row: Temporal is the only durable store the service has, and a
 * workflow id is exactly the atomic "create if absent" a lock needs (docs/workflows.md).
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export interface MoneyLockInput {
  /** `<case workflow id>/<step>`: who holds it. */
  holder: string;
  leaseMs: number;
}

export const releaseMoneyLockSignal = defineSignal<[string]>('release');

export async function moneyLock(input: MoneyLockInput): Promise<{ ended: 'released' | 'lease_expired'; holder: string }> {
  let released = false;
  setHandler(releaseMoneyLockSignal, (holder) => {
    // Only the holder releases; a stray signal changes nothing.
    if (holder === input.holder) released = true;
  });
  const ok = await condition(() => released, input.leaseMs);
  return { ended: ok ? 'released' : 'lease_expired', holder: input.holder };
}
