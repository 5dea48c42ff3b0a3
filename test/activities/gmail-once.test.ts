/**
 * The customer email activity sends exactly once across Temporal retries although Gmail replaces
 * our Message-ID: the draft id rides in the heartbeat details to the next attempt, and the Sent
 * search finds the reference when an attempt's response was lost.
 */
import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from '../connectors/helpers';
import { logger, runOnce, runWithRetries } from './helpers';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGmailActivities } from '../../src/activities/gmail';
import { TEST_DECISION_KEY } from '../support/policy';

describe('sendCustomerEmail exactly once (Gmail drafts)', () => {
  let sb: TestSandbox;
  let acts: ReturnType<typeof createGmailActivities>;
  const input = (step: string) => ({
    step,
    to: 'finance@initech.example',
    subject: 'Your renewal',
    body: 'Please update your payment method.',
  });
  const sent = async () => (await sb.control('/gmail/sent')) as { id: string; text: string }[];
  before(async () => {
    sb = await startSandbox();
    acts = createGmailActivities({
      gmail: sb.clients.gmail,
      hubspot: sb.clients.hubspot,
      quickbooks: sb.clients.quickbooks,
      progressKey: TEST_DECISION_KEY,
    });
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('refuses an address not on file, and sends once when the draft create response is lost', async () => {
    await rejectsWithType(runOnce(acts.sendCustomerEmail, { ...input('x'), to: 'stranger@example.net' }), 'UnverifiedRecipientError');
    assert.equal((await sb.records('gmail')).length, 0);
    await sb.faults('gmail', { dropNext: 1 });
    const { result, attempts } = await runWithRetries(acts.sendCustomerEmail, input('followup'), 'wf-gm-1');
    assert.equal(attempts, 2);
    assert.deepEqual(
      (await sent()).map((m) => m.id),
      [result.id],
    );
  });

  it('sends once when the drafts.send response is lost (the retry finds the reference in Sent and sends nothing)', async () => {
    const origFetch = globalThis.fetch;
    let armed = false;
    globalThis.fetch = (async (url: Parameters<typeof fetch>[0], init?: RequestInit) => {
      // Drop the response of the first drafts.send only: Gmail sends, we never hear.
      if (!armed && String(url).includes('/drafts/send')) {
        armed = true;
        await sb.faults('gmail', { dropNext: 1 });
      }
      return origFetch(url, init);
    }) as typeof fetch;
    try {
      const { result, attempts } = await runWithRetries(acts.sendCustomerEmail, input('followup.2'), 'wf-gm-2');
      assert.equal(attempts, 2);
      assert.deepEqual(
        (await sent()).map((m) => m.id),
        [result.id],
      );
      assert.equal((await sb.records('gmail', (r) => r.path.endsWith('/drafts/send'))).length, 1, 'the retry sent nothing');
      assert.match((await sent())[0].text, /Ref: DN-[0-9a-f]{20}/);
    } finally {
      globalThis.fetch = origFetch;
    }
  });

  it('a kept draft that vanished (and is not in Sent) is retried a few attempts, then escalated, never re-sent', async () => {
    const origFetch = globalThis.fetch;
    let deleted = false;
    globalThis.fetch = (async (url: Parameters<typeof fetch>[0], init?: RequestInit) => {
      // Someone deletes the draft between our create and our send.
      if (!deleted && String(url).includes('/drafts/send')) {
        deleted = true;
        const id = (JSON.parse(String(init?.body)) as { id: string }).id;
        await origFetch(`${sb.url}/gmail/gmail/v1/users/me/drafts/${id}`, {
          method: 'DELETE',
          headers: { authorization: 'Bearer sandbox-google-token' },
        });
      }
      return origFetch(url, init);
    }) as typeof fetch;
    try {
      await rejectsWithType(runWithRetries(acts.sendCustomerEmail, input('followup.3'), 'wf-gm-5', 6), 'BusinessRuleError', (e) =>
        assert.equal(e.code, 'draftGone'),
      );
      const sends = await sb.records('gmail', (r) => r.path.endsWith('/drafts/send'));
      assert.equal(sends.length, 4, 'attempts 1-3 retryable, attempt 4 escalates; each tried the kept draft id');
      assert.equal(
        new Set(sends.map((r) => (r.body as { id: string }).id)).size,
        1,
        'the heartbeat carried the same draft id to every attempt',
      );
      assert.equal((await sb.records('gmail', (r) => r.method === 'POST' && r.path.endsWith('/drafts'))).length, 1, 'one draft only');
      assert.equal((await sent()).length, 0);
    } finally {
      globalThis.fetch = origFetch;
    }
  });

  it('a retry does not look the recipient up again: the first attempt found it on file', async () => {
    // drafts.send fails twice; attempts 2 and 3 search Sent and send the kept draft, nothing more.
    await sb.faults('gmail', { failNext: 2, nextMatch: '"id":' });
    const { attempts } = await runWithRetries(acts.sendCustomerEmail, input('followup.4'), 'wf-gm-6', 3);
    assert.equal(attempts, 3);
    assert.equal((await sb.records('hubspot')).length, 1, 'one contact look-up across three attempts');
    assert.equal((await sb.records('gmail', (r) => r.method === 'POST' && r.path.endsWith('/drafts'))).length, 1, 'one draft');
    assert.equal((await sent()).length, 1);
  });

  it("a forged draft id in the progress is ignored: the email goes out from this attempt's own draft, to the case's recipient", async () => {
    // Someone with namespace access records heartbeat details naming a draft of theirs (to another address).
    const other = await sb.clients.gmail.createDraft({
      to: 'stranger@example.net',
      subject: 'not ours',
      text: 'x',
      messageId: 'forged@example.net',
    });
    const env = new MockActivityEnvironment(
      {
        workflowExecution: { workflowId: 'wf-gm-forged', runId: 'run-1' },
        attempt: 2,
        heartbeatDetails: { onFile: true, draftId: other.draftId },
        activityId: 'act-1',
        activityType: 'sendCustomerEmail',
      },
      { logger },
    );
    await env.run(acts.sendCustomerEmail, input('forged'));
    const out = (await sent()) as unknown as { to?: string; subject?: string }[];
    assert.equal(out.length, 1);
    assert.equal(out[0].subject, 'Your renewal', "the case's own email, not the forged draft");
    assert.equal((await sb.records('hubspot')).length, 1, 'the recipient was looked up again, "on file" not believed');
  });

  it('two steps of one case are two emails; the same step in another case is another email', async () => {
    await runOnce(acts.sendCustomerEmail, input('a'), 'wf-gm-3');
    await runOnce(acts.sendCustomerEmail, input('a'), 'wf-gm-3');
    await runOnce(acts.sendCustomerEmail, input('b'), 'wf-gm-3');
    await runOnce(acts.sendCustomerEmail, input('a'), 'wf-gm-4');
    assert.equal((await sent()).length, 3);
  });
});
