/**
 * Calibration and cost: one case of each kind end to end, its history counted (events, activities,
 * billable actions). Runs first: the end-to-end floor copies each case's activity count from here,
 * and a case type whose workflow is missing or broken is reported as unavailable instead of
 * hanging the later phases.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { decideUpdate, statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import type { Decision, SignedDecision, DecisionSubject } from '../../src/domain/decision';
import { signDecision } from '../../src/proofs/decision-proof';
import { buildCall, CallKind, postCall, seedBenchInvoice } from '../lib/calls';
import type { BenchContext } from '../lib/context';
import { costOf, type ExecutionCost } from '../lib/cost';

export interface CaseCost {
  name: string;
  available: boolean;
  reason?: string;
  cost?: ExecutionCost;
  /** Queries and rejected updates the harness sent (billable, not in history). */
  extraActions?: number;
  finalStatus?: string;
}

export class CaseTimeoutError extends Error {
  override name = 'CaseTimeoutError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new CaseTimeoutError(`${what} did not finish within ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function historyCost(client: Client, workflowId: string): Promise<ExecutionCost> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  // BENCH_COST_HISTORY_DIR: each counted history as JSON, to see which events the actions are.
  const dir = process.env.BENCH_COST_HISTORY_DIR;
  if (dir) await writeFile(join(dir, `${workflowId}.json`), JSON.stringify(h.events ?? [], null, 1));
  return costOf(h.events ?? []);
}

/** The approver the benchmark decides as (first of the default APPROVERS). */
export const BENCH_APPROVER = { id: 'U0FIN0001', name: 'Dana Finance' };

/** Waits until the case asks for a decision; returns the request id. */
export async function pendingRequestId(
  handle: WorkflowHandle,
  timeoutMs: number,
): Promise<{ requestId: string; subject?: DecisionSubject; queries: number }> {
  const end = Date.now() + timeoutMs;
  let queries = 0;
  for (;;) {
    queries++;
    const state = await handle.query(statusQuery);
    if (state.pendingApproval)
      return {
        requestId: state.pendingApproval.requestId,
        ...(state.pendingApproval.subject ? { subject: state.pendingApproval.subject } : {}),
        queries,
      };
    if (Date.now() > end) throw new CaseTimeoutError(`case ${handle.workflowId} never asked for approval (status ${state.status})`);
    await sleep(100);
  }
}

/** An approval as the Slack route hands it on: signed with the decision key after the click was authenticated. */
export function approval(
  ctx: Pick<BenchContext, 'decisionKeyHex'>,
  workflowId: string,
  requestId: string,
  subject?: DecisionSubject,
): SignedDecision {
  // The subject is what the Approve button showed (amount, currency, invoice, kind): the API signs it with the click.
  const claims: Decision = {
    requestId,
    action: 'approve',
    actor: BENCH_APPROVER,
    reason: 'benchmark approval',
    ...(subject ? { subject } : {}),
    source: 'slack',
  };
  return signDecision(ctx.decisionKeyHex, workflowId, claims);
}

async function oneCase(ctx: BenchContext, index: number, name: string, kind: CallKind, decide: boolean): Promise<CaseCost> {
  const { callId, raw } = buildCall(kind, `${ctx.tag}c`, index, { ownInvoice: true });
  let workflowId: string;
  try {
    if (kind === CallKind.AutoRefund) await seedBenchInvoice(ctx.sandboxUrl, callId);
    if (kind === CallKind.ReviewRefund) await seedBenchInvoice(ctx.sandboxUrl, callId, 45000);
    const accepted = await postCall(ctx.apiUrl, ctx.webhookSecret, raw);
    workflowId = accepted.cases[0].workflowId;
  } catch (err) {
    return { name, available: false, reason: `webhook: ${(err as Error).message}` };
  }
  const handle = ctx.serviceClient.workflow.getHandle<() => Promise<CaseState>>(workflowId);
  let extraActions = 0;
  try {
    if (decide) {
      const { requestId, subject, queries } = await pendingRequestId(handle, 30_000);
      extraActions += queries;
      await handle.executeUpdate(decideUpdate, { args: [approval(ctx, handle.workflowId, requestId, subject)] });
    }
    const state = await withTimeout(handle.result(), 30_000, `${name} (${callId})`);
    return { name, available: true, cost: await historyCost(ctx.serviceClient, workflowId), extraActions, finalStatus: state.status };
  } catch (err) {
    // Not finished: the history says whether the workflow is missing from the bundle or failing.
    const cost = await historyCost(ctx.serviceClient, workflowId).catch(() => undefined);
    // Stop it, so a broken case type neither retries for the rest of the run nor leaves result() polling.
    await handle.terminate('benchmark: case type unavailable').catch(() => undefined);
    return { name, available: false, reason: cost?.failure ?? (err as Error).message, ...(cost ? { cost } : {}) };
  }
}

export async function runCost(ctx: BenchContext): Promise<{ cases: CaseCost[]; floors: CaseCost[] }> {
  const cases: CaseCost[] = [];
  const kinds = [
    ['refund_request (automated)', CallKind.AutoRefund, false],
    ['refund_request (1 Slack approval)', CallKind.ReviewRefund, true],
    ['invoice_resend', CallKind.InvoiceResend, false],
  ] as const;
  for (const [index, [name, kind, decide]] of kinds.entries()) {
    ctx.progress(`cost: ${name}`);
    const c = await oneCase(ctx, index, name, kind, decide);
    if (c.available && c.finalStatus !== 'completed')
      Object.assign(c, { available: false, reason: `ended ${c.finalStatus}, not completed` });
    ctx.progress(
      c.available
        ? `  ${c.cost?.historyEvents} events, ${c.cost?.activitiesScheduled} activities + ${c.cost?.localActivities} local, ${c.cost?.billableActions} actions`
        : `  unavailable: ${c.reason}`,
    );
    cases.push(c);
  }
  const floors: CaseCost[] = [];
  const trivialId = `floor-cost-trivial-${ctx.tag}`;
  await ctx.floorClient.workflow.execute('benchTrivial', { taskQueue: ctx.queues.floor, workflowId: trivialId });
  floors.push({ name: 'floor: trivial workflow', available: true, cost: await historyCost(ctx.floorClient, trivialId) });
  for (const c of cases.filter((x) => x.available && x.cost)) {
    // The floor runs as many ordinary no-op activities as the case runs activities of any kind.
    const n = c.cost?.activityCalls ?? 0;
    const id = `floor-cost-${n}-${ctx.tag}-${floors.length}`;
    await ctx.floorClient.workflow.execute('benchActivities', { taskQueue: ctx.queues.floor, workflowId: id, args: [n] });
    floors.push({ name: `floor: ${n} no-op activities (beside ${c.name})`, available: true, cost: await historyCost(ctx.floorClient, id) });
  }
  return { cases, floors };
}
