/**
 * "Which cases wait for a decision, and for how long?": the audit command `npm run cases:waiting`
 * and anything else that needs the list. Reads visibility (search attributes, which carry no PII),
 * then asks each case's statusQuery when its approval request was made; a case whose worker does
 * not answer in time still lists, with the request time unknown.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { statusQuery } from '../workflows/messages';
import type { PendingApproval } from '../domain/decision';
import { formatMoney } from '../domain/money';
import { AccountIdKey, AmountMinorKey, CaseStatusKey, CaseTypeKey, CurrencyKey, WaitingOnKey } from '../temporal/search-attributes';

/** One case waiting for a decision. */
export interface WaitingCase {
  workflowId: string;
  caseType?: string;
  caseStatus?: string;
  accountId?: string;
  amountMinor?: number;
  currency?: string;
  /** Slack user ids the pending request still waits on. */
  waitingOn: string[];
  /** When the case started. */
  startedAt: Date;
  /** When the pending approval request was made (statusQuery); undefined if the worker did not answer. */
  requestedAt?: Date;
  /** What the request decides (refund, dispute, triage, ...), from statusQuery. */
  kind?: string;
  /** Milliseconds since the request (or, if unknown, since the case started). */
  ageMs: number;
  /**
   * Whether the case answered its statusQuery. Visibility lags: an answered case without
   * `pendingApproval` (or whose request no longer waits on someone) waits on nobody any more.
   */
  answered: boolean;
  /** The open request as the case reports it now (buttons, votes, hand-offs); undefined if none or not answered. */
  pendingApproval?: PendingApproval;
  /** What the caller asked for, in one sentence (the handoff's `request`: ids and amounts, no contact details). */
  request?: string;
}

export interface WaitingCasesOptions {
  /** Only cases waiting on this Slack user id ("cases waiting on me"). */
  approver?: string;
  /** Only cases on this task queue. */
  taskQueue?: string;
  limit?: number;
  /** How long each statusQuery may take. */
  queryTimeoutMs?: number;
  now?: Date;
}

// Ids go into a visibility query: a strict alphabet, so nothing can be injected.
const SAFE_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The visibility query behind the command (also documented in docs/audit.md). */
export function waitingCasesQuery(opts: Pick<WaitingCasesOptions, 'approver' | 'taskQueue'> = {}): string {
  for (const [name, v] of [
    ['approver', opts.approver],
    ['taskQueue', opts.taskQueue],
  ] as const) {
    if (v !== undefined && !SAFE_ID.test(v))
      throw new Error(`${name} may contain only letters, digits and . _ : @ - (got ${JSON.stringify(v)})`);
  }
  const parts = ["ExecutionStatus = 'Running'", 'BillingWaitingOn IS NOT NULL'];
  if (opts.approver) parts.push(`BillingWaitingOn = '${opts.approver}'`);
  if (opts.taskQueue) parts.push(`TaskQueue = '${opts.taskQueue}'`);
  return parts.join(' AND ');
}

/** Cases waiting for a decision, oldest wait first. */
export async function listWaitingCases(client: Client, opts: WaitingCasesOptions = {}): Promise<WaitingCase[]> {
  const now = opts.now ?? new Date();
  const limit = opts.limit ?? 200;
  const infos: WorkflowExecutionInfo[] = [];
  for await (const info of client.workflow.list({ query: waitingCasesQuery(opts) })) {
    infos.push(info);
    if (infos.length >= limit) break;
  }
  const cases = await Promise.all(infos.map((info) => readWaitingCase(client, info, { ...opts, now })));
  return cases.sort((a, b) => b.ageMs - a.ageMs);
}

/**
 * One case as the waiting list shows it: its search attributes (from `info`: a visibility row, or
 * a `describe()`, which reads the case itself and does not lag) and its statusQuery's open request.
 */
export async function readWaitingCase(
  client: Client,
  info: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'typedSearchAttributes' | 'startTime'>,
  opts: Pick<WaitingCasesOptions, 'queryTimeoutMs' | 'now'> = {},
): Promise<WaitingCase> {
  const now = opts.now ?? new Date();
  const sa = info.typedSearchAttributes;
  let requestedAt: Date | undefined;
  let kind: string | undefined;
  let answered = false;
  let pendingApproval: PendingApproval | undefined;
  let request: string | undefined;
  try {
    const state = await client.withDeadline(Date.now() + (opts.queryTimeoutMs ?? 2000), () =>
      client.workflow.getHandle(info.workflowId, info.runId).query(statusQuery),
    );
    answered = true;
    request = state.handoff?.request;
    if (state.pendingApproval) {
      pendingApproval = state.pendingApproval;
      requestedAt = new Date(state.pendingApproval.requestedAt);
      kind = state.pendingApproval.kind;
    }
  } catch {
    // No worker answered in time: list the case anyway, aged from its start.
  }
  return {
    workflowId: info.workflowId,
    caseType: sa.get(CaseTypeKey),
    caseStatus: sa.get(CaseStatusKey),
    accountId: sa.get(AccountIdKey),
    amountMinor: sa.get(AmountMinorKey),
    currency: sa.get(CurrencyKey),
    waitingOn: sa.get(WaitingOnKey) ?? [],
    startedAt: info.startTime,
    requestedAt,
    kind,
    ageMs: Math.max(0, now.getTime() - (requestedAt ?? info.startTime).getTime()),
    answered,
    ...(pendingApproval ? { pendingApproval } : {}),
    ...(request ? { request } : {}),
  };
}

/** "3d 4h", "2h 05m", "7m", "40s". */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

function money(amountMinor: number, currency = 'USD'): string {
  return formatMoney(amountMinor, currency);
}

/** A plain-text table for the terminal. */
export function formatWaitingCases(cases: WaitingCase[]): string {
  if (cases.length === 0) return 'No cases are waiting for a decision.';
  const rows = cases.map((c) => [
    formatAge(c.ageMs) + (c.requestedAt ? '' : '*'),
    c.caseType ?? '-',
    c.kind ?? c.caseStatus ?? '-',
    c.amountMinor !== undefined ? money(c.amountMinor, c.currency) : '-',
    c.accountId ?? '-',
    c.waitingOn.join(',') || '-',
    c.workflowId,
  ]);
  const header = ['AGE', 'CASE TYPE', 'WAITING FOR', 'AMOUNT', 'ACCOUNT', 'WAITING ON', 'WORKFLOW ID'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const footer = cases.some((c) => !c.requestedAt) ? '\n* no worker answered: age since the case started' : '';
  return [line(header), ...rows.map(line)].join('\n') + footer;
}
