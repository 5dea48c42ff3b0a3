/**
 * Runs an activity the way Temporal retries it: attempt 1, 2, ... in an activity context for one
 * workflow id, carrying the last heartbeat's details into the next attempt, stopping at a
 * non-retryable failure.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

// Activity failures are expected in these tests; the SDK would log each one.
const logger = new DefaultLogger('ERROR', () => undefined);

export async function runWithRetries<I, O>(fn: (input: I) => Promise<O>, input: I, workflowId: string, maxAttempts = 3): Promise<{ result: O; attempts: number }> {
  let details: unknown;
  let lastErr: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run-1' }, attempt, heartbeatDetails: details, activityId: `act-${attempt}` }, { logger });
    env.on('heartbeat', (d: unknown) => {
      details = d;
    });
    try {
      return { result: await env.run(fn, input), attempts: attempt };
    } catch (err) {
      lastErr = err;
      if ((err as { nonRetryable?: boolean }).nonRetryable) throw err;
    }
  }
  throw lastErr;
}

/** One attempt in an activity context. */
export function runOnce<I, O>(fn: (input: I) => Promise<O>, input: I, workflowId = 'wf-test'): Promise<O> {
  return new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run-1' } }, { logger }).run(fn, input);
}
