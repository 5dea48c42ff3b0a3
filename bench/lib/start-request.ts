/**
 * The service's own start request without the HTTP API: a refund call run through the intake's
 * parsing, suppression and case-input code once, then started with exactly the options the
 * intake's CaseStarter uses (encrypted input, search attributes, static summary, id policies).
 * Measured beside the webhook and the bare start, it splits the webhook's cost into "a heavier
 * start request" (Temporal server + codec) and "the API in front of it".
 */
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config/load';
import type { CaseInput } from '../../src/domain/case';
import { readEnvelope } from '../../src/intake/envelope';
import { callSchema } from '../../src/intake/schema';
import { buildCaseInputs, searchAttributesFor, staticSummaryFor } from '../../src/intake/start-cases';
import { suppressCall } from '../../src/intake/suppression';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { benchInvoiceNumber, buildCall, CallKind } from './calls';

export function refundCaseInput(tag: string): CaseInput {
  const { raw } = buildCall(CallKind.ReviewRefund, tag, 0);
  const envelope = readEnvelope(JSON.parse(raw.toString('utf8')));
  if (envelope.kind !== 'call') throw new Error(`fixture is not a call envelope (${envelope.kind})`);
  const parsed = callSchema.parse(envelope.call);
  const call = suppressCall(parsed);
  const [input] = buildCaseInputs({
    call,
    caseTypes: ['refund_request'],
    intentConfidence: parsed.post_call_analysis?.intentConfidence,
    receivedAt: new Date().toISOString(),
    policy: loadConfig({}).timings,
  });
  return input;
}

/**
 * Starts one refund case the way the intake does, under a fresh call id. `ownInvoice`: the case
 * refunds an invoice of its own (benchInvoiceNumber), so approving many of them does not meet the
 * money path's rule that one invoice is refunded at most what was paid.
 */
export async function startLikeIntake(
  client: Client,
  taskQueue: string,
  template: CaseInput,
  callId: string,
  opts: { ownInvoice?: boolean } = {},
): Promise<void> {
  const input: CaseInput = {
    ...template,
    call: { ...template.call, callId },
    ...(opts.ownInvoice ? { fields: { ...template.fields, invoiceNumber: benchInvoiceNumber(callId) } } : {}),
  };
  await client.workflow.start('refundRequest', {
    taskQueue,
    workflowId: caseWorkflowId(callId, 'refund_request'),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: searchAttributesFor(input),
    staticSummary: staticSummaryFor(input),
  });
}
