import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import {
  AccountIdKey,
  AmountMinorKey,
  CallIdKey,
  CaseStatusKey,
  CaseTypeKey,
  CurrencyKey,
  WaitingOnKey,
} from '../../src/temporal/search-attributes';
import { formatWaitingCases, listWaitingCases, waitingCasesQuery } from '../../src/cases/waiting';
import { testClient, uniqueTaskQueue } from '../support/temporal';

/** The example queries of docs/audit.md: each ```sql block whose first line is `-- <name>`. */
function documentedQueries(): Map<string, string> {
  const md = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'audit.md'), 'utf8');
  const queries = new Map<string, string>();
  for (const m of md.matchAll(/```sql\n-- (.+)\n([\s\S]+?)\n```/g)) queries.set(m[1].trim(), m[2].trim());
  return queries;
}

interface Seed {
  name: string;
  workflowType: string;
  caseType: string;
  status: string;
  callId: string;
  accountId: string;
  amountMinor: number;
  waitingOn?: string[];
  /** Closed before the queries run (Temporal's ExecutionStatus is then no longer Running). */
  closed?: boolean;
}

// Cases as the intake and the workflows would tag them; no worker runs, only visibility is under test.
const SEEDS: Seed[] = [
  {
    name: 'big open refund',
    workflowType: 'refundRequest',
    caseType: 'refund_request',
    status: 'awaiting_approval',
    callId: 'call_audit_0001',
    accountId: 'ACME-001',
    amountMinor: 75000,
    waitingOn: ['U0FIN0001', 'U0FIN0002'],
  },
  {
    name: 'small refund',
    workflowType: 'refundRequest',
    caseType: 'refund_request',
    status: 'executing',
    callId: 'call_audit_0002',
    accountId: 'ACME-001',
    amountMinor: 12000,
  },
  {
    name: 'big closed refund',
    workflowType: 'refundRequest',
    caseType: 'refund_request',
    status: 'completed',
    callId: 'call_audit_0003',
    accountId: 'ACME-001',
    amountMinor: 90000,
    closed: true,
  },
  {
    name: 'escalated dispute',
    workflowType: 'chargeDispute',
    caseType: 'charge_dispute',
    status: 'escalated',
    callId: 'call_audit_0001',
    accountId: 'GLOBEX-002',
    amountMinor: 30000,
    waitingOn: ['U0CFO0001'],
  },
  {
    name: 'new dispute',
    workflowType: 'chargeDispute',
    caseType: 'charge_dispute',
    status: 'awaiting_approval',
    callId: 'call_audit_0004',
    accountId: 'GLOBEX-002',
    amountMinor: 20000,
    waitingOn: ['U0FIN0001'],
  },
  {
    name: 'expired refund',
    workflowType: 'refundRequest',
    caseType: 'refund_request',
    status: 'expired',
    callId: 'call_audit_0005',
    accountId: 'UMBRELLA-004',
    amountMinor: 4000,
    closed: true,
  },
];

/** What each documented query must find among the seeds. */
const EXPECTED: Record<string, string[]> = {
  'open refunds over $500': ['big open refund'],
  'all cases for account X': ['big open refund', 'small refund', 'big closed refund'],
  'escalated disputes': ['escalated dispute'],
  'cases waiting on me': ['big open refund', 'new dispute'],
  'everything one call started': ['big open refund', 'escalated dispute'],
  'cases that failed closed or need a person, last 7 days': ['expired refund'],
};

describe('audit: documented search-attribute queries and the waiting-cases command', () => {
  let client: Client;
  const taskQueue = uniqueTaskQueue('audit');
  const handles = new Map<string, WorkflowHandle>();
  const names = new Map<string, string>();

  before(async () => {
    client = await testClient();
    for (const s of SEEDS) {
      const attrs: SearchAttributePair[] = [
        { key: CaseTypeKey, value: s.caseType },
        { key: CaseStatusKey, value: s.status },
        { key: CallIdKey, value: s.callId },
        { key: AccountIdKey, value: s.accountId },
        { key: AmountMinorKey, value: s.amountMinor },
        { key: CurrencyKey, value: 'USD' },
      ];
      if (s.waitingOn) attrs.push({ key: WaitingOnKey, value: s.waitingOn });
      const workflowId = `case-${s.caseType}-${s.callId}-${randomUUID()}`;
      const handle = await client.workflow.start(s.workflowType, { taskQueue, workflowId, args: [], typedSearchAttributes: attrs });
      if (s.closed) await handle.terminate('audit test: closed case');
      handles.set(s.name, handle);
      names.set(workflowId, s.name);
      // Distinct start times, so "oldest first" has one right answer.
      await new Promise((r) => setTimeout(r, 15));
    }
  });

  after(async () => {
    for (const [name, h] of handles) {
      if (!SEEDS.find((s) => s.name === name)?.closed) await h.terminate('audit test done').catch(() => undefined);
    }
    await client?.connection.close();
  });

  /** Runs a query scoped to this test's task queue until visibility has caught up with the expectation. */
  async function find(query: string, expected: string[]): Promise<string[]> {
    let found: string[] = [];
    for (let i = 0; i < 60; i++) {
      found = [];
      for await (const info of client.workflow.list({ query: `(${query}) AND TaskQueue = '${taskQueue}'` }))
        found.push(names.get(info.workflowId) ?? info.workflowId);
      found.sort();
      if (JSON.stringify(found) === JSON.stringify([...expected].sort())) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return found;
  }

  it('documents exactly the example queries this test checks', () => {
    assert.deepEqual([...documentedQueries().keys()].sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`finds the right cases for "${name}"`, async () => {
      const query = documentedQueries().get(name);
      assert.ok(query, `docs/audit.md has a query named "${name}"`);
      assert.deepEqual(await find(query, expected), [...expected].sort());
    });
  }

  it('lists the cases waiting for a decision, oldest first, and those waiting on one approver', async () => {
    await find(waitingCasesQuery(), ['big open refund', 'escalated dispute', 'new dispute']);
    const all = await listWaitingCases(client, { taskQueue, queryTimeoutMs: 300 });
    assert.deepEqual(
      all.map((c) => names.get(c.workflowId)),
      ['big open refund', 'escalated dispute', 'new dispute'],
    );
    const first = all[0];
    assert.equal(first.caseType, 'refund_request');
    assert.equal(first.amountMinor, 75000);
    assert.deepEqual(first.waitingOn, ['U0FIN0001', 'U0FIN0002']);
    // No worker runs here, so the request time is unknown and the age counts from the case's start.
    assert.equal(first.requestedAt, undefined);
    assert.ok(first.ageMs >= 0 && first.ageMs < 120_000);

    const mine = await listWaitingCases(client, { taskQueue, approver: 'U0FIN0001', queryTimeoutMs: 300 });
    assert.deepEqual(mine.map((c) => names.get(c.workflowId)).sort(), ['big open refund', 'new dispute']);

    const table = formatWaitingCases(all);
    assert.match(table, /^AGE\s+CASE TYPE/);
    assert.match(table, /USD 750\.00/);
    assert.match(table, /no worker answered/);
  });

  it('refuses an approver id that could change the query', async () => {
    await assert.rejects(listWaitingCases(client, { approver: "x' OR BillingCaseType != '" }), /approver may contain only/);
  });
});
