import { Context } from '@temporalio/activity';

/** Proves a worker with activities is attached: returns the nonce and the worker's identity. */
export function createSelfTestActivities(deps: { workerIdentity: string }) {
  return {
    async recordSelfTest(nonce: string): Promise<{ nonce: string; checkedBy: string }> {
      Context.current().log.info('self test', { nonce });
      return { nonce, checkedBy: deps.workerIdentity };
    },
  };
}
export type SelfTestActivities = ReturnType<typeof createSelfTestActivities>;
