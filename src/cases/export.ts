/**
 * The audit export: one row per decision and per money movement of the cases active in a time
 * range, read from Temporal only (visibility, then each case's history and state, decrypted by the
 * client's data converter). Served by GET /cases/export and `npm run cases:export`.
 *
 * Rows are produced as the visibility pages arrive, so a large range streams instead of being held
 * in memory. A row carries ids, amounts, actors (Slack id and display name of the person who
 * decided), times and outcomes; never the call's contact details, summaries, free-text reasons or
 * the values intake suppressed (they are not in CaseState, and no free-text field is copied).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { formatMoney } from '../domain/money';
import { DECISION_VERB, type DecisionAction } from '../domain/decision';
import { statusQuery } from '../workflows/messages';
import type { CaseState, RecordRef } from '../domain/case-state';
import { decodeAtIndex, optionalTsToDate } from '../temporal/sdk-helpers';
import { AccountIdKey, AmountMinorKey, CaseTypeKey, CurrencyKey } from '../temporal/search-attributes';

export interface ExportRange {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

export type ExportRowType = 'decision' | 'money_movement' | 'case_unreadable';

/** One line of the export. Optional fields are empty in CSV. */
export interface ExportRow {
  caseId: string;
  caseType: string;
  type: ExportRowType;
  /** ISO time of the decision or of the money movement's completion in history. */
  at: string;
  accountId?: string;
  /** `formatMoney` of the amount: "USD 450.00", "JPY 5,000". */
  amount?: string;
  amountMinor?: number;
  currency?: string;
  /** Who decided: Slack display names (ids below); for money, the approvers, or `policy` when automated. */
  decidedBy?: string;
  decidedById?: string;
  /** Decision: approve, reject, ...; money movement: the record kind (RefundReceipt, pay_token). */
  action?: string;
  /** Decision: "Approved" etc.; money movement: "recorded"; unreadable: why. */
  outcome: string;
  source?: string;
  requestId?: string;
  system?: string;
  recordId?: string;
  recordUrl?: string;
  /** Every record the case wrote, `system/object/id`, space-separated. */
  recordsWritten: string;
  /** Version of the worker's policy the decision was checked against, or the money path re-checked under. */
  policyVersion?: string;
  /** The case's status now (final for a closed case). */
  caseStatus?: string;
  executionStatus: string;
}

export const EXPORT_COLUMNS: readonly (keyof ExportRow)[] = [
  'caseId',
  'caseType',
  'type',
  'at',
  'accountId',
  'amount',
  'amountMinor',
  'currency',
  'decidedBy',
  'decidedById',
  'action',
  'outcome',
  'source',
  'requestId',
  'system',
  'recordId',
  'recordUrl',
  'recordsWritten',
  'policyVersion',
  'caseStatus',
  'executionStatus',
];

/** Records that move money, and the activity whose completion moved it (its time is the row's time). */
interface Moved {
  id?: string;
  amount?: MoneyResult['amount'];
  policyVersion?: string;
}
const MONEY_ACTIVITIES: Record<string, { system: RecordRef['system']; moved: (result: MoneyResult) => Moved }> = {
  // The money path's write before the ledger: `{ status: 'moved', record }` (or `refused`: nothing moved).
  moveMoney: {
    system: 'quickbooks',
    moved: (r) => (r.status === 'moved' && r.record ? { ...r.record, policyVersion: r.policyVersion } : {}),
  },
  // The ledger's record step (the reservation before it checked the rules under the same policy, unless it changed meanwhile).
  recordMoney: {
    system: 'quickbooks',
    moved: (r) => (r.status === 'moved' && r.record ? { ...r.record, policyVersion: r.policyVersion } : {}),
  },
  createPayToken: { system: 'skyfire', moved: (r) => ({ id: r.tokenId, amount: r.amount }) },
};
const MONEY_OBJECTS = new Set(['quickbooks/RefundReceipt', 'quickbooks/CreditMemo', 'skyfire/pay_token']);
interface MoneyResult {
  status?: string;
  policyVersion?: string;
  record?: { id?: string; amount?: { amountMinor: number; currency: string } };
  tokenId?: string;
  amount?: { amountMinor: number; currency: string };
}

export interface ExportOptions {
  /** Visibility page size (also bounds the cases held at once). */
  pageSize?: number;
  /** How long a status query on a running case may take. */
  queryTimeoutMs?: number;
  /** Cases read at the same time. */
  concurrency?: number;
}

/** Cases that may hold rows in the range: started before its end, and running or closed after its start. */
export function exportQuery(range: ExportRange): string {
  const from = range.from.toISOString();
  const to = range.to.toISOString();
  return `WorkflowId STARTS_WITH "case-" AND StartTime < "${to}" AND (ExecutionStatus = "Running" OR CloseTime >= "${from}")`;
}

type History = temporal.api.history.v1.IHistory;

/** When each money record's activity completed, and the amount it moved (decrypted from history). */
async function moneyActivities(client: Client, history: History): Promise<Map<string, Moved & { at: Date }>> {
  const scheduled = new Map<string, string>();
  const out = new Map<string, Moved & { at: Date }>();
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name && MONEY_ACTIVITIES[s.activityType.name]) scheduled.set(String(e.eventId), s.activityType.name);
    const c = e.activityTaskCompletedEventAttributes;
    const type = c ? scheduled.get(String(c.scheduledEventId)) : undefined;
    if (!c || !type) continue;
    const result = await decodeAtIndex<MoneyResult>(client.options.loadedDataConverter, 0, c.result?.payloads as Payload[] | undefined);
    const moved: Moved = result ? MONEY_ACTIVITIES[type].moved(result) : {};
    if (moved.id) out.set(`${MONEY_ACTIVITIES[type].system}/${moved.id}`, { ...moved, at: optionalTsToDate(e.eventTime) ?? new Date(0) });
  }
  return out;
}

/**
 * The execution status as the history ends (visibility may lag behind a close by a moment):
 * the close event's kind, else the listing's status.
 */
function historyStatus(history: History, listed: string): string {
  const last = history.events?.[history.events.length - 1];
  if (!last) return listed;
  if (last.workflowExecutionCompletedEventAttributes) return 'COMPLETED';
  if (last.workflowExecutionFailedEventAttributes) return 'FAILED';
  if (last.workflowExecutionTerminatedEventAttributes) return 'TERMINATED';
  if (last.workflowExecutionCanceledEventAttributes) return 'CANCELLED';
  if (last.workflowExecutionTimedOutEventAttributes) return 'TIMED_OUT';
  if (last.workflowExecutionContinuedAsNewEventAttributes) return 'CONTINUED_AS_NEW';
  return listed;
}

/** The case's state: the workflow result for a completed case, else the status query (bounded). */
async function caseState(
  client: Client,
  info: WorkflowExecutionInfo,
  history: History,
  queryTimeoutMs: number,
): Promise<CaseState | string> {
  const done = history.events?.find((e) => e.workflowExecutionCompletedEventAttributes)?.workflowExecutionCompletedEventAttributes;
  if (done) return decodeAtIndex<CaseState>(client.options.loadedDataConverter, 0, done.result?.payloads as Payload[] | undefined);
  try {
    return await client.withDeadline(Date.now() + queryTimeoutMs, () =>
      client.workflow.getHandle(info.workflowId, info.runId).query(statusQuery),
    );
  } catch (err) {
    return `state unreadable (${info.status.name}): ${(err as Error).message.split('\n')[0]}`;
  }
}

/** The rows of one case that fall in the range, oldest first. */
export async function caseRows(
  client: Client,
  info: WorkflowExecutionInfo,
  range: ExportRange,
  queryTimeoutMs = 5000,
): Promise<ExportRow[]> {
  const sa = info.typedSearchAttributes;
  const amountMinor = sa.get(AmountMinorKey);
  const currency = sa.get(CurrencyKey);
  const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
  const base = {
    caseId: info.workflowId,
    caseType: sa.get(CaseTypeKey) ?? info.type,
    accountId: sa.get(AccountIdKey),
    executionStatus: historyStatus(history, info.status.name),
  };
  const money = (minor: number | undefined, cur: string | undefined) =>
    minor !== undefined && cur ? { amount: formatMoney(minor, cur), amountMinor: minor, currency: cur } : {};
  const inRange = (at: Date) => at >= range.from && at < range.to;

  const state = await caseState(client, info, history, queryTimeoutMs);
  if (typeof state === 'string') {
    const at = info.closeTime ?? info.startTime;
    return inRange(at) || base.executionStatus === 'RUNNING'
      ? [{ ...base, ...money(amountMinor, currency), type: 'case_unreadable', at: at.toISOString(), outcome: state, recordsWritten: '' }]
      : [];
  }
  const recordsWritten = state.records.map((r) => `${r.system}/${r.object}/${r.id}`).join(' ');
  const rows: ExportRow[] = [];
  for (const d of state.decisions) {
    if (!inRange(new Date(d.at))) continue;
    rows.push({
      ...base,
      ...money(amountMinor, currency),
      type: 'decision',
      at: new Date(d.at).toISOString(),
      decidedBy: d.actor.name ?? d.actor.id,
      decidedById: d.actor.id,
      action: d.action,
      // A hand-off's outcome names the approver it went to (a Slack user id, as decidedById is).
      outcome: `${DECISION_VERB[d.action as DecisionAction] ?? d.action}${d.handTo ? ` to ${d.handTo}` : ''}`,
      source: d.source,
      requestId: d.requestId,
      recordsWritten,
      policyVersion: (d as { policyVersion?: string }).policyVersion,
      caseStatus: state.status,
    });
  }
  const approvals = state.decisions.filter((d) => d.action === 'approve' || d.action === 'accept');
  const completions = await moneyActivities(client, history);
  for (const r of state.records) {
    if (!MONEY_OBJECTS.has(`${r.system}/${r.object}`)) continue;
    const done = completions.get(`${r.system}/${r.id}`);
    const at = done?.at ?? info.closeTime ?? info.startTime;
    if (!inRange(at)) continue;
    const amount = done?.amount ?? (r as RecordRef & { amount?: MoneyResult['amount'] }).amount;
    rows.push({
      ...base,
      ...(amount ? money(amount.amountMinor, amount.currency) : money(amountMinor, currency)),
      type: 'money_movement',
      at: at.toISOString(),
      decidedBy: approvals.length > 0 ? approvals.map((d) => d.actor.name ?? d.actor.id).join(' and ') : 'policy',
      decidedById: approvals.length > 0 ? approvals.map((d) => d.actor.id).join(' ') : undefined,
      action: r.object,
      outcome: 'recorded',
      system: r.system,
      recordId: r.id,
      recordUrl: r.url,
      recordsWritten,
      policyVersion: done?.policyVersion,
      caseStatus: state.status,
    });
  }
  return rows.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * Every row of the range, case by case in visibility order (newest start first), a few cases read
 * at once. Pages are fetched as the rows are consumed.
 */
export async function* exportRows(client: Client, range: ExportRange, opts: ExportOptions = {}): AsyncGenerator<ExportRow> {
  const concurrency = opts.concurrency ?? 4;
  let window: Promise<ExportRow[]>[] = [];
  for await (const info of client.workflow.list({ query: exportQuery(range), pageSize: opts.pageSize ?? 100 })) {
    window.push(caseRows(client, info, range, opts.queryTimeoutMs));
    if (window.length >= concurrency) {
      for (const rows of await Promise.all(window)) yield* rows;
      window = [];
    }
  }
  for (const rows of await Promise.all(window)) yield* rows;
}

/** A CSV field: quoted when needed; a leading = + - @ is defused so a spreadsheet shows it as text. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvHeader = (): string => `${EXPORT_COLUMNS.join(',')}\n`;
export const csvLine = (row: ExportRow): string => `${EXPORT_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`;

/** Parses a range bound: an ISO date (`2026-12-01`, UTC midnight) or date-time with zone. */
export function parseBound(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) return undefined;
  const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Writes the rows as CSV or a JSON array, chunk by chunk; `write` may wait (back-pressure). */
export async function writeExport(
  rows: AsyncIterable<ExportRow>,
  format: 'csv' | 'json',
  write: (chunk: string) => Promise<void> | void,
): Promise<number> {
  let n = 0;
  await write(format === 'csv' ? csvHeader() : '[');
  for await (const row of rows) {
    await write(format === 'csv' ? csvLine(row) : `${n === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`);
    n++;
  }
  if (format === 'json') await write(n === 0 ? ']\n' : '\n]\n');
  return n;
}
