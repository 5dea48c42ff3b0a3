/**
 * Case status and listing for operators and auditors (behind the API token, see src/security):
 *   GET /cases/:workflowId                     the case's typed state (statusQuery) and execution info
 *   GET /cases?status=&type=&account=&limit=   cases found through the search attributes
 *   GET /cases/export?from=&to=&format=csv|json the audit export (src/cases/export.ts), streamed
 * Search attributes carry no PII by design (src/temporal/search-attributes.ts), so listing them is safe.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { CASE_TYPES, CaseStatus, type CaseType } from '../domain/case';
import { statusQuery } from '../workflows/messages';
import type { CaseState } from '../domain/case-state';
import { exportRows, parseBound, writeExport } from './export';
import { AccountIdKey, AmountMinorKey, CaseStatusKey, CaseTypeKey, CurrencyKey, UrgencyKey } from '../temporal/search-attributes';

export interface CasesRouterDeps {
  client: Client;
  /** How long a status query may wait for a worker to answer. */
  queryTimeoutMs?: number;
  /** Visibility page size of the export (tests make it small to cross pages). */
  exportPageSize?: number;
}

/** One case in a listing: ids, execution status and the (PII-free) search attributes. */
export interface CaseSummary {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, ... */
  executionStatus: string;
  startTime: string;
  closeTime?: string;
  caseType?: string;
  caseStatus?: string;
  accountId?: string;
  amountMinor?: number;
  currency?: string;
  urgency?: string;
}

/** GET /cases/:workflowId answer. */
export interface CaseDetail extends CaseSummary {
  state: CaseState;
}

const caseTypes = CASE_TYPES as readonly string[];
const caseStatuses = Object.values(CaseStatus) as string[];
/** Opaque ids that go into a visibility query: a strict alphabet, so no quoting tricks. */
const safeId = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'may contain only letters, digits and . _ : @ -');

const listQuery = z
  .object({
    status: z.enum(caseStatuses as [string, ...string[]]).optional(),
    type: z.enum(caseTypes as [string, ...string[]]).optional(),
    account: safeId.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** Case workflow ids are `case-<caseType>-<callId>` (src/temporal/workflow-ids.ts). */
export function isCaseWorkflowId(id: string): boolean {
  const m = /^case-([a-z_]+)-(.+)$/.exec(id);
  return !!m && caseTypes.includes(m[1] as CaseType) && safeId.safeParse(m[2]).success;
}

/** The visibility query for a listing; every value has passed `safeId` or an enum. */
export function caseListQuery(filter: { status?: string; type?: string; account?: string }): string {
  const parts = ['WorkflowId STARTS_WITH "case-"'];
  if (filter.type) parts.push(`${CaseTypeKey.name} = "${filter.type}"`);
  if (filter.status) parts.push(`${CaseStatusKey.name} = "${filter.status}"`);
  if (filter.account) parts.push(`${AccountIdKey.name} = "${filter.account}"`);
  return parts.join(' AND ');
}

function summarize(info: Omit<WorkflowExecutionInfo, 'raw'>): CaseSummary {
  const sa = info.typedSearchAttributes;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.type,
    executionStatus: info.status.name,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString(),
    caseType: sa.get(CaseTypeKey),
    caseStatus: sa.get(CaseStatusKey),
    accountId: sa.get(AccountIdKey),
    amountMinor: sa.get(AmountMinorKey),
    currency: sa.get(CurrencyKey),
    urgency: sa.get(UrgencyKey),
  };
}

const bound = z.string().transform((v, ctx) => {
  const d = parseBound(v);
  if (!d) ctx.addIssue({ code: 'custom', message: 'expected a date (2026-12-01) or a date-time with zone (2026-12-01T09:00:00Z)' });
  return d ?? new Date(0);
});
const exportQuery = z
  .object({ from: bound, to: bound, format: z.enum(['csv', 'json']).default('csv') })
  .strict()
  .refine((q) => q.from < q.to, { message: '`from` must be before `to`', path: ['from'] });

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');

export function createCasesRouter(deps: CasesRouterDeps): Router {
  const { client } = deps;
  const router = Router();

  router.get('/', async (req: Request, res: Response) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_query', message: issues(parsed.error) });
      return;
    }
    const { limit, ...filter } = parsed.data;
    const cases: CaseSummary[] = [];
    for await (const info of client.workflow.list({ query: caseListQuery(filter), pageSize: limit })) {
      cases.push(summarize(info));
      if (cases.length >= limit) break;
    }
    res.json({ cases });
  });

  router.get('/export', async (req: Request, res: Response) => {
    const parsed = exportQuery.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_query', message: issues(parsed.error) });
      return;
    }
    const { from, to, format } = parsed.data;
    const rows = exportRows(client, { from, to }, { pageSize: deps.exportPageSize, queryTimeoutMs: deps.queryTimeoutMs });
    // The first row is read before the headers go out, so a Temporal failure up front is still a
    // proper error status; after that, a failure can only cut the stream (the client sees it truncated).
    const first = await rows.next();
    const name = `cases-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.${format}`;
    res.status(200).type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.set({ 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' });
    async function* all() {
      if (!first.done) yield first.value;
      yield* rows;
    }
    // Back-pressure: wait for the socket to drain; a client that went away ends the export.
    const write = (chunk: string): Promise<void> | void => {
      if (res.destroyed) throw new Error('the client closed the connection');
      if (res.write(chunk)) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    };
    try {
      await writeExport(all(), format, write);
      res.end();
    } catch (err) {
      res.destroy(err as Error);
    }
  });

  router.get('/:workflowId', async (req: Request, res: Response) => {
    const workflowId = String(req.params.workflowId);
    if (!isCaseWorkflowId(workflowId)) {
      res.status(400).json({ error: 'invalid_workflow_id', message: 'Expected a case workflow id: case-<caseType>-<callId>.' });
      return;
    }
    const handle = client.workflow.getHandle(workflowId);
    let summary: CaseSummary;
    try {
      summary = summarize(await handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        res.status(404).json({ error: 'case_not_found', message: `No case ${workflowId}.` });
        return;
      }
      throw err;
    }
    let state: CaseState;
    try {
      // A query needs a worker to answer; bound the wait instead of hanging the request.
      state = await client.connection.withDeadline(Date.now() + (deps.queryTimeoutMs ?? 5000), () => handle.query(statusQuery));
    } catch (err) {
      res.status(503).json({
        error: 'case_state_unavailable',
        message: `The case exists but its state could not be read: ${(err as Error).message}`,
        case: summary,
      });
      return;
    }
    const detail: CaseDetail = { ...summary, state };
    res.json(detail);
  });
  return router;
}
