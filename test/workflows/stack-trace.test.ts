import assert from 'node:assert/strict';
import { WORKFLOW_STACK_FRAMES } from '../../src/workflows/stack-depth';
import { caseEnv, caseInput, waitForRequest, type CaseEnv } from './helpers';

/** The SDK's answer to `__enhanced_stack_trace` (what the Web UI's stack trace view reads). */
interface EnhancedStackTrace {
  stacks: { locations: { file_path?: string; function_name?: string; line?: number }[] }[];
}

describe('the stack trace an operator sees for a waiting case (src/workflows/stack-depth.ts)', function () {
  this.timeout(60_000);
  let env: CaseEnv | undefined;
  after(async () => env?.stop());

  it('names where the case waits, in our own code, with stacks cut to the configured depth', async () => {
    env = await caseEnv();
    const h = await env.start(
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-1002',
        // Above the automation limit: the case waits for an approver.
        amount: { amountMinor: 90000, currency: 'USD' },
        refundReason: 'duplicate_charge',
      }),
    );
    await waitForRequest(h);
    const trace = await h.query<EnhancedStackTrace>('__enhanced_stack_trace');
    const ours = trace.stacks.flatMap((s) => s.locations).filter((l) => /src\/workflows\//.test(l.file_path ?? ''));
    assert.ok(
      ours.some((l) => l.function_name === 'requestApproval' && /src\/workflows\/approval\.ts$/.test(l.file_path ?? '')),
      `the trace points at the approval wait: ${JSON.stringify(ours)}`,
    );
    // The depth is in effect: without it V8 keeps 10 frames and the SDK's own frames fill them.
    const depths = trace.stacks.map((s) => s.locations.length);
    assert.ok(Math.max(...depths) <= WORKFLOW_STACK_FRAMES, `stack depths ${JSON.stringify(depths)}`);
    const plain = await h.query<string>('__stack_trace');
    assert.match(plain, /at requestApproval \(.*src\/workflows\/approval\.ts:\d+:\d+\)/);
  });
});
