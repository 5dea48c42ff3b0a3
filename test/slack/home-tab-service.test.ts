/**
 * The HomeTab service over a fake Temporal client: visibility lag is corrected by the cases' own
 * answers, and a burst of publishes for one person is merged and never lands out of order.
 */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { CaseState } from '../../src/domain/case-state';
import type { PendingApproval } from '../../src/domain/decision';
import { createHomeTab } from '../../src/slack/home-tab';
import { createLogger } from '../../src/logger';
import { AccountIdKey, WaitingOnKey } from '../../src/temporal/search-attributes';

const DANA = 'U0FIN0001';
const SAM = 'U0FIN0002';

function pending(over: Partial<PendingApproval> = {}): PendingApproval {
  return {
    requestId: 'req-1',
    kind: 'refund',
    eligibleApprovers: [DANA, SAM],
    required: 1,
    votes: [],
    escalated: false,
    requestedAt: '2026-11-26T12:00:00Z',
    expiresAt: '2026-11-29T12:00:00Z',
    amount: { amountMinor: 45000, currency: 'USD' },
    actions: [{ action: 'approve', label: 'Approve', style: 'primary' }],
    ...over,
  };
}

/** Cases by workflow id: what visibility lists (`listedFor`) and what the case answers (`state`). */
type FakeCase = { listedFor: string[]; state: Partial<CaseState>; running?: boolean };

function fakeClient(cases: Map<string, FakeCase>, counts: { lists: number; queries: number }): Client {
  const info = (id: string) => ({
    workflowId: id,
    runId: 'run-1',
    startTime: new Date('2026-11-26T11:00:00Z'),
    status: { name: cases.get(id)?.running === false ? 'COMPLETED' : 'RUNNING' },
    typedSearchAttributes: new TypedSearchAttributes([
      { key: AccountIdKey, value: 'ACME-001' },
      { key: WaitingOnKey, value: cases.get(id)?.listedFor ?? [] },
    ]),
  });
  return {
    withDeadline: (_d: number, fn: () => unknown) => fn(),
    workflow: {
      list: ({ query }: { query: string }) => {
        counts.lists++;
        const user = /BillingWaitingOn = '([^']+)'/.exec(query)?.[1];
        return (async function* () {
          for (const [id, c] of cases) if (user && c.listedFor.includes(user)) yield info(id);
        })();
      },
      getHandle: (id: string) => ({
        describe: async () => info(id),
        query: async () => {
          counts.queries++;
          const c = cases.get(id);
          if (!c) throw new Error('not found');
          return { handoff: { request: 'Refund of USD 450.00.' }, ...c.state };
        },
      }),
    },
  } as unknown as Client;
}

describe('HomeTab service', () => {
  const logger = createLogger({ level: 'silent' });

  it('drops what visibility still lists but no longer waits on the user, and adds the case just decided', async () => {
    const cases = new Map<string, FakeCase>([
      // Visibility lags: still lists Dana, but the request is closed.
      ['case-closed', { listedFor: [DANA], state: { pendingApproval: undefined } }],
      // Handed to Dana a moment ago: visibility does not list her yet.
      [
        'case-handed',
        {
          listedFor: [SAM],
          state: {
            pendingApproval: pending({
              votes: [{ actor: { id: SAM }, action: 'hand_off', handTo: DANA, at: '2026-11-26T12:30:00Z', source: 'slack' }],
            }),
          },
        },
      ],
      [
        'case-waiting',
        { listedFor: [DANA], state: { pendingApproval: pending({ requestId: 'req-2', requestedAt: '2026-11-26T13:00:00Z' }) } },
      ],
    ]);
    const published: { user: string; view: Record<string, unknown> }[] = [];
    const tab = createHomeTab({
      client: fakeClient(cases, { lists: 0, queries: 0 }),
      slack: { publishView: async (user, view) => (published.push({ user, view }), { viewId: 'V1' }) },
      logger,
      temporalUi: { url: 'http://ui.test', namespace: 'default' },
      minIntervalMs: 0,
    });
    await tab.publish(DANA, { alsoCheck: ['case-handed'] });
    const text = JSON.stringify(published[0].view);
    assert.equal(published[0].user, DANA);
    assert.match(text, /case-handed.*case-waiting/, 'both, oldest request first');
    assert.doesNotMatch(text, /case-closed/);
    assert.match(text, /Handed to you by <@U0FIN0002>/);
  });

  it('after a decision publishes the decider’s tab and the tabs of whom the case now waits on', async () => {
    const cases = new Map<string, FakeCase>([
      [
        'case-1',
        {
          listedFor: [DANA, SAM],
          state: {
            pendingApproval: pending({
              required: 2,
              votes: [{ actor: { id: DANA }, action: 'approve', at: '2026-11-26T12:10:00Z', source: 'slack' }],
            }),
          },
        },
      ],
    ]);
    const published: string[] = [];
    const tab = createHomeTab({
      client: fakeClient(cases, { lists: 0, queries: 0 }),
      slack: { publishView: async (user) => (published.push(user), { viewId: 'V1' }) },
      logger,
      temporalUi: { url: 'http://ui.test', namespace: 'default' },
      minIntervalMs: 0,
    });
    await tab.afterDecision('case-1', DANA, { notice: 'Recorded' });
    assert.deepEqual(published.sort(), [DANA, SAM]);
  });

  it('merges a burst of publishes for one person and publishes them in order', async () => {
    const cases = new Map<string, FakeCase>([['case-1', { listedFor: [DANA], state: { pendingApproval: pending() } }]]);
    const counts = { lists: 0, queries: 0 };
    const published: string[] = [];
    let slow = true;
    // The first publish is slow, and held until the burst has been asked for: later ones must not overtake it.
    let firstEntered!: () => void;
    const entered = new Promise<void>((r) => (firstEntered = r));
    let releaseFirst!: () => void;
    const released = new Promise<void>((r) => (releaseFirst = r));
    const tab = createHomeTab({
      client: fakeClient(cases, counts),
      slack: {
        publishView: async (_user, view) => {
          if (slow) {
            slow = false;
            firstEntered();
            await Promise.all([released, new Promise((r) => setTimeout(r, 100))]);
          }
          published.push(JSON.stringify(view).includes('notice 9') ? 'last' : 'earlier');
          return { viewId: 'V1' };
        },
      },
      logger,
      temporalUi: { url: 'http://ui.test', namespace: 'default' },
      minIntervalMs: 50,
    });
    const started = Date.now();
    const first = tab.publish(DANA, { notice: 'notice 0' });
    await entered; // the first is publishing now (a wait for that, not a sleep that hopes so)
    const burst = Array.from({ length: 9 }, (_, i) => tab.publish(DANA, { notice: `notice ${i + 1}` }));
    releaseFirst();
    await Promise.all([first, ...burst]);
    assert.deepEqual(published, ['earlier', 'last'], 'the first, then one for all the rest, the newest notice winning');
    assert.equal(counts.lists, 2);
    assert.ok(Date.now() - started >= 150, 'the second waited for the first and the interval');
  });
});
