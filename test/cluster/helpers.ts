/**
 * Steps shared by the cluster tests: the production environment of the service's processes, and
 * approving a case the way an approver does (a signed Slack click on one API's interactions URL,
 * which signs the decision for the worker's gate).
 */
import { randomBytes } from 'node:crypto';
import { encodeButtonValue, subjectButtonValue } from '../../src/connectors/slack-buttons';
import type { DecisionSubject } from '../../src/domain/decision';
import { request, type ServiceHarness } from '../support/service';
import { refundWorkflowId } from '../reliability/helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** NODE_ENV=production with every credential it demands; connectors on the sandbox, named explicitly. */
export function productionEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    SANDBOX_SYSTEMS: 'all',
    LOG_LEVEL: 'warn',
    DECISION_SIGNING_KEY: randomBytes(32).toString('hex'),
    APPROVERS: 'U0FIN0001,U0FIN0002',
    SECOND_TIER_APPROVERS: 'U0CFO0001',
    SLACK_FINANCE_CHANNEL: 'C0FINANCE',
    // Every refund of these production-shape runs is on one seed customer (Acme), dozens in minutes:
    // the running total (issue 21) would put each in the two-approver tier, which these tests (about
    // processes, crashes and restarts, approved by one person) do not exercise.
    TWO_PERSON_THRESHOLDS: 'USD:10000000000,EUR:10000000000,GBP:10000000000,JPY:10000000000',
  };
}

/** Clicks Approve in Slack: a signed block_actions payload; retried like Slack retries a non-200. */

export async function slackApprove(
  svc: ServiceHarness,
  apiUrl: string,
  callId: string,
  requestId: string,
  userId = 'U0FIN0001',
  subject?: DecisionSubject,
) {
  const payload = {
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase() },
    container: { type: 'message', channel_id: 'C0FINANCE', message_ts: '1700000000.000100' },
    actions: [
      {
        action_id: 'billing_approve',
        block_id: 'decision',
        type: 'button',
        value: encodeButtonValue({
          w: refundWorkflowId(callId),
          r: requestId,
          a: 'approve',
          ...(subject ? { s: subjectButtonValue(subject) } : {}),
        }),
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  for (let attempt = 1; ; attempt++) {
    const ts = Math.floor(Date.now() / 1000);
    const res = await request(`${apiUrl}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': svc.slackSignature(ts, body),
      },
      body,
    }).catch((err: Error) => ({ status: 599, json: undefined, text: err.message }));
    if (res.status === 200 || attempt >= 40) return res;
    await sleep(500);
  }
}
