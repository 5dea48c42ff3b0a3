/**
 * Work a Slack route goes on with after it answered Slack (a decision's outcome, a Home tab
 * published again), on the Temporal client. One tracker per app, shared by its Slack routes: a
 * shutdown waits for it (`drainBackground` in src/api.ts) before it closes the client, or a call cut
 * by the close is retried on a closed channel and thrown as an uncaught error.
 */
export interface Background {
  /** Tracks a promise until it settles; its failure is the caller's to handle (it is not rethrown here). */
  track(work: Promise<unknown> | undefined): void;
  /** Resolves once nothing tracked is pending, including work tracked while it waits. */
  drain(): Promise<void>;
}

export function createBackground(): Background {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      if (!work) return;
      const tracked = work.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    async drain() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
