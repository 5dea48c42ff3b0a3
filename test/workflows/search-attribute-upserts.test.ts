/**
 * Search attributes are staged and sent as one upsert per workflow task (issue 8): each upsert is a
 * history event, a visibility write and a billable action. Visibility must still show every state
 * the audit queries rely on (docs/audit.md): awaiting_approval with WaitingOn, then completed.
 */
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { CaseStatusKey, WaitingOnKey } from '../../src/temporal/search-attributes';
import { SCENARIOS } from '../replay/scenarios';
import { APPROVER_1, APPROVER_2, caseEnv, caseInput, decide, decision, result, testPolicy, waitForRequest, type CaseEnv } from './helpers';
import { DecisionAction } from '../../src/domain/decision';

const E = temporal.api.enums.v1.EventType;

/**
 * The case's own upserts per workflow task: the commands a task completion produced follow its
 * TASK_COMPLETED event. The SDK's own upsert of `TemporalChangeVersion`, which it sends with the
 * marker the first time a `patched()` id is met, is not the case's and cannot be batched with it.
 */
function upsertsPerTask(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  const counts: number[] = [];
  for (const e of events) {
    if (e.eventType === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) counts.push(0);
    else if (e.eventType === E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) {
      const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
      if (keys.some((k) => k !== 'TemporalChangeVersion')) counts[counts.length - 1] += 1;
    }
  }
  return counts;
}

describe('search-attribute upserts', function () {
  this.timeout(60_000);
  let env: CaseEnv;
  before(async () => {
    env = await caseEnv();
  });
  after(async () => {
    await env.stop();
  });

  it('sends at most one upsert per workflow task in every case type', async () => {
    for (const [caseType, scenario] of Object.entries(SCENARIOS)) {
      const handle = await scenario(env);
      const events = (await handle.fetchHistory()).events ?? [];
      const perTask = upsertsPerTask(events);
      assert.ok(perTask.length > 0, `${caseType}: no workflow task completed`);
      assert.ok(Math.max(...perTask) <= 1, `${caseType}: upserts per workflow task ${JSON.stringify(perTask)}`);
      // The status always moves on from `received`, so every case upserts at least once.
      assert.ok(
        perTask.some((n) => n > 0),
        `${caseType}: no upsert at all`,
      );
    }
  });

  it('still shows awaiting_approval with the approvers waited on, then completed with nobody waited on', async () => {
    const handle = await env.start(
      caseInput(
        'refund_request',
        {
          accountId: 'ACME-001',
          invoiceNumber: 'INV-1001',
          amount: { amountMinor: 150000, currency: 'USD' },
          refundReason: 'billing_error',
        },
        { policy: testPolicy() },
      ),
    );
    const requestId = await waitForRequest(handle);
    const waiting = (await handle.describe()).typedSearchAttributes;
    assert.equal(waiting.get(CaseStatusKey), 'awaiting_approval');
    assert.deepEqual([...(waiting.get(WaitingOnKey) ?? [])].sort(), [APPROVER_1, APPROVER_2].sort());

    await decide(handle, decision(requestId, APPROVER_1, DecisionAction.Approve));
    await decide(handle, decision(requestId, APPROVER_2, DecisionAction.Approve));
    const state = await result(handle);
    assert.equal(state.status, 'completed');
    const done = (await handle.describe()).typedSearchAttributes;
    assert.equal(done.get(CaseStatusKey), 'completed');
    assert.equal(done.get(WaitingOnKey), undefined);
  });
});
