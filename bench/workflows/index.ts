/**
 * Bench-only workflows: the Temporal floor the service is measured against. Built into their own
 * bundle (bench/processes/worker.ts) so src/workflows stays the service's alone.
 */
import { proxyActivities } from '@temporalio/workflow';

/** The no-op activity of the floor; a type import keeps activity code out of the bundle. */
export interface FloorActivities {
  noop(step: number): Promise<number>;
}

const { noop } = proxyActivities<FloorActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/** Ingest floor: the cheapest workflow there is (one workflow task, then done). */
export async function benchTrivial(): Promise<void> {}

/** End-to-end floor: the same number of sequential activities as the case it stands beside. */
export async function benchActivities(count: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += await noop(i);
  return sum;
}
