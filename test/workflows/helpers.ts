/**
 * Shared pieces of the workflow tests: case inputs with second-scale policy durations, a worker
 * over fake activities, and small waits on the case's own status query.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, type DataConverter } from '@temporalio/common';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../src/activities/index';
import { CASE_CODE_RELEASE, WORKFLOW_TYPE, type BillingFields, type CaseInput, type CaseType } from '../../src/domain/case';
import type { CaseTimings } from '../../src/domain/policy';
import { TEST_DECISION_KEY, APPROVER_1, APPROVER_2 } from '../support/policy';
import { signDecision } from '../../src/proofs/decision-proof';
import { attestCaseFacts } from '../../src/proofs/case-facts';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import {
  DECISION_REJECTED_ERROR_TYPE,
  type Decision,
  DecisionAction,
  type DecisionRejection,
  type SignedDecision,
} from '../../src/domain/decision';
import { decideUpdate, statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { startTestWorker, testClient } from '../support/temporal';
import { createFakeActivities, type FakeActivities, type FakeOptions } from './fake-activities';

export { APPROVER_1, APPROVER_2, CFO, NOT_APPROVER } from '../support/policy';

/** Durations long enough that nothing expires by accident. */
export function testPolicy(over: Partial<CaseTimings> = {}): CaseTimings {
  return {
    reminderIntervalMs: 60_000,
    escalateAfterMs: 120_000,
    approvalTimeoutMs: 180_000,
    ackSlaMs: 60_000,
    defaultFollowUpMs: 60_000,
    ...over,
  };
}

export { TEST_DECISION_KEY, mutablePolicy, testMoneyPolicy } from '../support/policy';

export function caseInput(caseType: CaseType, fields: BillingFields, over: Partial<CaseInput> = {}): CaseInput {
  return {
    caseType,
    call: {
      callId: `call-${randomUUID()}`,
      transcriptUrl: 'https://dialnexa.example/calls/t',
      recordingUrl: 'https://dialnexa.example/calls/r',
    },
    fields,
    intentConfidence: 0.95,
    suppressed: [],
    receivedAt: '2026-11-26T12:00:00Z',
    policy: testPolicy(),
    // Stamped as the intake stamps (src/workflows/patches.ts); `{ release: undefined }` starts a case as before the stamp.
    release: CASE_CODE_RELEASE,
    ...over,
  };
}

/**
 * The input as the intake starts it: its facts attested with the test key for `workflowId` (the
 * case's derived id by default). Workers built by the test helpers verify with that key.
 */
export function attested(input: CaseInput, workflowId = caseWorkflowId(input.call.callId, input.caseType)): CaseInput {
  return { ...input, attestation: attestCaseFacts(TEST_DECISION_KEY, workflowId, input) };
}

/** A worker over fresh fakes, and a client; `stop()` in afterEach. */
export async function caseEnv(opts: FakeOptions = {}, dataConverter?: DataConverter) {
  const fake: FakeActivities = createFakeActivities({ decisionKey: TEST_DECISION_KEY, ...opts });
  // The fakes implement the CaseActivities contract; `Activities` is the real factory's type.
  const worker = await startTestWorker(fake.activities as unknown as Activities, undefined, dataConverter);
  const client: Client = await testClient(dataConverter);
  return {
    fake,
    client,
    taskQueue: worker.taskQueue,
    /** Starts the case as the intake would: its facts attested with the test key (`attest: false`: as anyone with namespace access could). */
    async start(input: CaseInput, opts: { attest?: boolean } = {}): Promise<WorkflowHandle> {
      const workflowId = caseWorkflowId(input.call.callId, input.caseType);
      const args = opts.attest === false ? input : attested(input, workflowId);
      return client.workflow.start(WORKFLOW_TYPE[input.caseType], { args: [args], taskQueue: worker.taskQueue, workflowId });
    },
    async stop() {
      await worker.stop();
      await client.connection.close();
    },
  };
}
export type CaseEnv = Awaited<ReturnType<typeof caseEnv>>;

/** Polls the status query until `ok` holds (workflow time runs for real: seconds). */
export async function waitForState(handle: WorkflowHandle, ok: (s: CaseState) => boolean, timeoutMs = 20_000): Promise<CaseState> {
  const until = Date.now() + timeoutMs;
  let last: CaseState | undefined;
  while (Date.now() < until) {
    last = await handle.query(statusQuery);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`state not reached; last: ${JSON.stringify(last)}`);
}

/**
 * Waits until the workflow has handled every signal it received so far: a workflow task completed
 * after the last signal in its history. A poll for the state instead of a sleep that hopes the
 * worker was quick enough.
 */
export async function signalsHandled(handle: WorkflowHandle, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const events = (await handle.fetchHistory()).events ?? [];
    const lastSignal = events.reduce((last, e, i) => (e.workflowExecutionSignaledEventAttributes ? i : last), -1);
    if (lastSignal >= 0 && events.slice(lastSignal).some((e) => e.workflowTaskCompletedEventAttributes)) return;
    if (Date.now() > until) throw new Error('the workflow did not handle its signals in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for an open approval request (a new one when `notRequestId` is given) and returns its id. */
export async function waitForRequest(handle: WorkflowHandle, notRequestId?: string): Promise<string> {
  const s = await waitForState(
    handle,
    (st) =>
      st.pendingApproval !== undefined && st.pendingApproval.slackMessage !== undefined && st.pendingApproval.requestId !== notRequestId,
  );
  return s.pendingApproval!.requestId;
}

/**
 * A refund no card charge paid (a check, a transfer) is an owned return: waits for its "Money
 * returned" request and confirms it as a finance approver (the signed decision, as the API makes it).
 * Returns the request's id.
 */
export async function confirmMoneyReturned(handle: WorkflowHandle, approver = APPROVER_1, timeoutMs = 60_000): Promise<string> {
  const s = await waitForState(
    handle,
    (st) => st.pendingApproval?.kind === 'refund_returned' && st.pendingApproval.slackMessage !== undefined,
    timeoutMs,
  );
  await decide(handle, decision(s.pendingApproval!.requestId, approver, DecisionAction.Approve));
  return s.pendingApproval!.requestId;
}

export function decision(requestId: string, actorId: string, action: DecisionAction, extra: Partial<Decision> = {}): Decision {
  return {
    requestId,
    action,
    actor: { id: actorId, name: actorId === APPROVER_1 ? 'Dana Finance' : actorId === APPROVER_2 ? 'Sam Ledger' : actorId },
    source: 'slack',
    ...extra,
  };
}

/**
 * Decides as the API would after authenticating the clicker: the decision signed with the decision
 * key. A money request's counting button carries what it approves (amount, currency, invoice,
 * kind); like a click, the decision takes it from the request as shown, unless the test gives one.
 */
export async function decide(handle: WorkflowHandle, d: Decision) {
  let claims = d;
  if (!d.subject && (d.action === DecisionAction.Approve || d.action === DecisionAction.Accept)) {
    const shown = (await handle.query(statusQuery)).pendingApproval;
    if (shown?.requestId === d.requestId && shown.subject) claims = { ...d, subject: shown.subject };
  }
  return handle.executeUpdate(decideUpdate, { args: [signDecision(TEST_DECISION_KEY, handle.workflowId, claims)] });
}

/** Decides as someone with only Temporal access would: whatever they send, however it claims to be from Slack. */
export function decideForged(handle: WorkflowHandle, d: SignedDecision) {
  return handle.executeUpdate(decideUpdate, { args: [d] });
}

/** Asserts an update attempt was refused by the validator with `code`. */
export async function assertRefused(attempt: Promise<unknown>, code: DecisionRejection): Promise<void> {
  await assert.rejects(attempt, (err: unknown) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected WorkflowUpdateFailedError, got ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, DECISION_REJECTED_ERROR_TYPE);
    assert.match(err.cause.message, new RegExp(`^${code}:`));
    return true;
  });
}

export async function result(handle: WorkflowHandle): Promise<CaseState> {
  return (await handle.result()) as CaseState;
}

/** A USD 30.00 refund of INV-4002 (paid twice) for UMBRELLA-004, an account that pays through Skyfire: automated. */
export const skyfireRefund = () =>
  caseInput('refund_request', {
    accountId: 'UMBRELLA-004',
    invoiceNumber: 'INV-4002',
    amount: { amountMinor: 3000, currency: 'USD' },
    refundReason: 'duplicate_charge',
    paymentPlatform: 'skyfire',
  });
