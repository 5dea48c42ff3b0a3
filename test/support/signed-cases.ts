/**
 * Cases as the service runs them, for tests that need real ones: a call fixture posted through
 * the signed DialNexa webhook (under a fresh call id), and decisions signed with the decision key
 * as the API's Slack route signs them (the worker's gate verifies them).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { signDialNexaBody } from '../../src/intake/signature';
import { signDecision } from '../../src/proofs/decision-proof';
import { decideUpdate, statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import type { Decision, DecisionAction } from '../../src/domain/decision';
import { freshDelivery, withCallId, type CallFixture } from '../../scripts/call-fixture';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'calls');
/** The default approvers (config APPROVERS) and their Slack display names. */
export const APPROVER_NAMES: Record<string, string> = { U0FIN0001: 'Dana Finance', U0FIN0002: 'Sam Ledger' };

let seq = 0;

/** Posts a fixture (with `analysis` fields overridden) to the service's webhook; returns the started case's workflow id. */
export async function postFixture(
  baseUrl: string,
  webhookSecret: string,
  name: string,
  analysis: Record<string, unknown> = {},
  callFields: Record<string, unknown> = {},
): Promise<string> {
  const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as CallFixture;
  const body = freshDelivery(withCallId(fixture, `call_t${Date.now().toString(36)}${(seq++).toString(36)}`));
  Object.assign((body.payload.call as unknown as { post_call_analysis: Record<string, unknown> }).post_call_analysis, analysis);
  Object.assign(body.payload.call, callFields);
  const raw = JSON.stringify(body);
  const res = await fetch(`${baseUrl}/webhooks/dialnexa`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, webhookSecret) },
    body: raw,
  });
  const json = (await res.json()) as { cases?: { workflowId: string }[] };
  assert.equal(res.status, 202, JSON.stringify(json));
  return json.cases![0].workflowId;
}

/** A decision as the API's Slack route makes it: signed with the decision key the worker checks. */
export async function decideSigned(
  handle: WorkflowHandle,
  decisionKey: string,
  requestId: string,
  actorId: string,
  action: DecisionAction,
  extra: Partial<Decision> = {},
) {
  // A money request's counting button carries what it approves; like a click, take it from the request as shown.
  const shown = (await handle.query(statusQuery)).pendingApproval;
  const subject = shown?.requestId === requestId && (action === 'approve' || action === 'accept') ? shown.subject : undefined;
  const d: Decision = {
    requestId,
    action,
    actor: { id: actorId, ...(APPROVER_NAMES[actorId] ? { name: APPROVER_NAMES[actorId] } : {}) },
    ...(subject ? { subject } : {}),
    source: 'slack',
    ...extra,
  };
  return handle.executeUpdate(decideUpdate, { args: [signDecision(decisionKey, handle.workflowId, d)] });
}

/** Polls the status query until `ok` holds. */
export async function waitForCaseState(handle: WorkflowHandle, ok: (s: CaseState) => boolean, timeoutMs = 30_000): Promise<CaseState> {
  const until = Date.now() + timeoutMs;
  let last: CaseState | undefined;
  while (Date.now() < until) {
    last = await handle.query(statusQuery);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`state not reached; last: ${JSON.stringify(last)}`);
}

/** The open approval request's id, once its Slack message is posted. */
export async function waitForApprovalRequest(handle: WorkflowHandle): Promise<string> {
  return (await waitForCaseState(handle, (s) => s.pendingApproval?.slackMessage !== undefined)).pendingApproval!.requestId;
}
