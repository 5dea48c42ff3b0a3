/**
 * Shared steps of the reliability tests: sizes (CI defaults, full sizes from scripts/reliability.ts),
 * waiting for cases, listing what the server holds, and approving cases like an operator.
 */
import { signDecision } from '../../src/proofs/decision-proof';
import type { Client } from '@temporalio/client';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { temporalAddress } from '../support/temporal';
import { ServiceHarness } from '../support/service';
import { decideUpdate, statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';

/** A size from the environment (scripts/reliability.ts sets the full ones), else the CI default. */
export function size(name: string, ciDefault: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : ciDefault;
}

export const refundWorkflowId = (callId: string) => caseWorkflowId(callId, 'refund_request');

/** Waits for every case's result; returns them by call id. Fails naming the cases still open. */
export async function waitForCases(client: Client, callIds: string[], timeoutMs: number): Promise<Map<string, CaseState>> {
  const { results, open } = await settleCases(client, callIds, timeoutMs);
  if (open.length)
    throw new Error(
      `${open.length} of ${callIds.length} cases did not finish within ${timeoutMs / 1000} s, e.g. ${open.slice(0, 3).join(', ')}`,
    );
  return results;
}

/** Waits up to `timeoutMs` for the cases; returns those that finished and the call ids still open. */
export async function settleCases(
  client: Client,
  callIds: string[],
  timeoutMs: number,
): Promise<{ results: Map<string, CaseState>; open: string[] }> {
  const results = new Map<string, CaseState>();
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    callIds.map(async (id) => {
      const handle = client.workflow.getHandle(refundWorkflowId(id));
      const res = await Promise.race([
        handle.result() as Promise<CaseState>,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()))),
      ]);
      if (res) results.set(id, res);
    }),
  );
  return { results, open: callIds.filter((id) => !results.has(id)) };
}

/**
 * What each open case is doing, for the failure message: its pending activities with their attempt
 * and last failure (the tail of a fault run is a step retrying; this names which one and why).
 */
export async function describeOpen(client: Client, callIds: string[]): Promise<string[]> {
  return Promise.all(
    callIds.map(async (id) => {
      const d = await client.workflow.getHandle(refundWorkflowId(id)).describe();
      const pending = (d.raw.pendingActivities ?? []).map(
        (a) => `${a.activityType?.name ?? '?'} attempt ${a.attempt ?? '?'} (${(a.lastFailure?.message ?? 'no failure').slice(0, 160)})`,
      );
      return `${id}: ${d.status.name}, history ${d.historyLength} events; ${pending.length ? pending.join('; ') : 'no pending activity'}`;
    }),
  );
}

/** Workflow ids the server holds on a task queue (visibility), any status. */
export async function listWorkflowIds(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  // Cases only: the money path's per-invoice lock workflows share the task queue.
  for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` }))
    if (!wf.workflowId.startsWith('money-lock-')) ids.push(wf.workflowId);
  return ids;
}

/** Polls until the case waits on an approval request; returns the request. */
export async function waitForPendingApproval(
  client: Client,
  callId: string,
  timeoutMs = 60_000,
): Promise<NonNullable<CaseState['pendingApproval']>> {
  const handle = client.workflow.getHandle(refundWorkflowId(callId));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const state = await handle.query(statusQuery);
      if (state.pendingApproval) return state.pendingApproval;
    } catch {
      // Not started yet or the server is busy: poll again.
    }
    if (Date.now() > deadline) throw new Error(`case ${callId} never asked for approval within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Approves (or rejects) as the given approvers, one vote each, the way the Slack route does. */
/** Decides as the API does once it authenticated the clicker: the decision signed with the service's decision key. */
export async function decide(
  client: Client,
  decisionKey: string,
  callId: string,
  requestId: string,
  approvers: string[],
  action: 'approve' | 'reject' = 'approve',
): Promise<void> {
  const handle = client.workflow.getHandle(refundWorkflowId(callId));
  // An Approve button carries what it approves (amount, currency, invoice, kind); the API signs it.
  const shown = (await handle.query(statusQuery)).pendingApproval;
  const subject = action === 'approve' && shown?.requestId === requestId ? shown.subject : undefined;
  for (const id of approvers) {
    const signed = signDecision(decisionKey, handle.workflowId, {
      requestId,
      action,
      actor: { id },
      ...(subject ? { subject } : {}),
      source: 'slack',
    });
    await handle.executeUpdate(decideUpdate, { args: [signed], updateId: `rel:${requestId}:${id}:${action}` });
  }
}

/** Prints a figure line the CI log keeps (the issue asks for the figures each test reached). */
export function figure(line: string): void {
  console.log(`      ${line}`);
}

/**
 * The service as child processes (sandbox, API, worker) for the enclosing `describe`: started
 * before its tests, stopped after them. Read `svc` and `client` inside tests, not at definition.
 */
export function useService(): { svc: ServiceHarness; client: Client } {
  const running = {} as { svc: ServiceHarness; client: Client };
  before(async () => {
    running.svc = new ServiceHarness({ temporalAddress: temporalAddress() });
    await running.svc.start();
    running.client = await running.svc.client();
  });
  after(async () => {
    await running.client?.connection.close();
    await running.svc?.stop();
  });
  return running;
}

/**
 * The Skyfire-paid cases that stopped for a person because a pay token create went unanswered (a
 * 5xx, a dropped answer, a worker killed mid-request): Skyfire offers no way to find such a token,
 * so the case stops rather than reserve twice. The tests accept these, and only these, as not
 * completed.
 */
export function stoppedOnUnknownPayToken(plan: { callId: string; skyfire: boolean }[], results: Map<string, CaseState>): Set<string> {
  return new Set(
    plan
      .filter((p) => {
        const s = results.get(p.callId);
        return p.skyfire && s?.status === 'needs_attention' && /may have created a pay token/.test(s.reason ?? '');
      })
      .map((p) => p.callId),
  );
}
