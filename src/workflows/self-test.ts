import { proxyActivities } from '@temporalio/workflow';
import type { SelfTestActivities } from '../activities/self-test';

const { recordSelfTest } = proxyActivities<SelfTestActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * The walking skeleton: the thinnest path from the API through Temporal to an activity and back.
 * `POST /selftest` runs it; operators use it to check that a worker is polling the task queue.
 */
export async function selfTest(input: { nonce: string }): Promise<{ nonce: string; checkedBy: string }> {
  return await recordSelfTest(input.nonce);
}
