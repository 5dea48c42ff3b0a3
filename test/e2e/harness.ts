/**
 * The service's wiring in one process, as `npm start` composes it: the sandbox (every system), a
 * worker with the real case activities pointed at it, and the API (DialNexa webhook, Slack
 * interactions) with the sandbox's Slack delivering signed clicks to it. Tests post signed calls
 * and click buttons the way DialNexa and a finance person do, then read what each system received.
 */
import { freshDelivery } from '../../scripts/call-fixture';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp, drainBackground } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { caseActivities } from '../../src/worker';
import { createLogger } from '../../src/logger';
import { createServiceMetrics } from '../../src/observability/metrics';
import { signDialNexaBody } from '../../src/intake/signature';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { newTestLedger } from '../support/ledger';
import { startTestWorker, temporalAddress, testClient, testDataConverter, uniqueTaskQueue } from '../support/temporal';

const API_TOKEN = 'e2e-intake-api-token-0123456789abcdef0123';
const WEBHOOK_SECRET = 'e2e-intake-dialnexa-secret-0123456789';
const SLACK_SECRET = 'e2e-intake-slack-signing-secret-0123456789';
export const DECISION_KEY = 'e2e-intake-decision-key-0123456789abcdef';

export interface SandboxSlackMessage {
  channel: string;
  ts: string;
  text?: string;
  thread_ts?: string;
  blocks: { type: string; block_id?: string; text?: { text: string }; elements?: Record<string, unknown>[]; fields?: { text: string }[] }[];
  metadata?: { event_payload?: Record<string, unknown> };
}

export interface Harness {
  sb: TestSandbox;
  client: Client;
  base: string;
  taskQueue: string;
  /** POSTs a signed DialNexa webhook body. */
  post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** The sandbox Slack's messages (as last updated). */
  slackMessages(): Promise<SandboxSlackMessage[]>;
  /** Clicks a button of a message as a user, through the sandbox (a signed interaction to the API). */
  click(user: string, msg: { channel: string; ts: string }, actionId: string): Promise<{ status: number; body: string; error?: string }>;
  /** The API's Prometheus text. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const sb = await startSandbox(env);
  const client = await testClient();
  const taskQueue = uniqueTaskQueue('e2e-intake');
  const config = loadConfig({
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    SANDBOX_URL: sb.url,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const activities = caseActivities(config, {
    connection,
    dataConverter: testDataConverter(),
    identity: 'e2e-intake',
    connectors: sb.clients,
    decisionKey: DECISION_KEY,
    ledger: newTestLedger(),
  });
  const worker = await startTestWorker(activities, taskQueue);
  const metrics = createServiceMetrics({ defaultMetrics: false });
  const app = createApp({
    config,
    client,
    logger: createLogger({ level: 'silent' }),
    secrets: { dialnexaWebhookSecret: WEBHOOK_SECRET, slackSigningSecret: SLACK_SECRET, apiToken: API_TOKEN, decisionKey: DECISION_KEY },
    metrics,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configureSlack = () => sb.control('/slack/config', { interactionsUrl: `${base}/slack/interactions`, signingSecret: SLACK_SECRET });
  await configureSlack();
  return {
    sb,
    client,
    base,
    taskQueue,
    async post(body) {
      // The fixtures' calls ended days ago; DialNexa delivers a call as it ends (the freshness window).
      const raw = JSON.stringify(freshDelivery(body));
      const res = await fetch(`${base}/webhooks/dialnexa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, WEBHOOK_SECRET) },
        body: raw,
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    async slackMessages() {
      return ((await sb.control('/slack/state')) as { messages: SandboxSlackMessage[] }).messages;
    },
    async click(user, msg, actionId) {
      return (await sb.control('/slack/click', { user, channel: msg.channel, ts: msg.ts, actionId })) as {
        status: number;
        body: string;
        error?: string;
      };
    },
    async metrics() {
      return (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      // A click's outcome is still awaited after Slack got its answer: closing the client under it
      // leaves a retry on a closed channel, thrown into whichever test runs next.
      await drainBackground(app);
      await worker.stop();
      await connection.close();
      await client.connection.close();
      await sb.close();
    },
  };
}

/** Polls until `fn` gives a value (not undefined/false). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** All the text of a Slack message's blocks (and its fallback text). */
export function messageText(m: SandboxSlackMessage): string {
  const parts: string[] = [m.text ?? ''];
  for (const b of m.blocks ?? []) {
    if (b.text?.text) parts.push(b.text.text);
    for (const f of b.fields ?? []) parts.push(f.text);
    for (const e of b.elements ?? []) {
      const t = (e as { text?: string | { text?: string } }).text;
      parts.push(typeof t === 'string' ? t : (t?.text ?? ''));
    }
  }
  return parts.join('\n');
}

/** The message of a case (by the workflow id its metadata carries). */
export function messagesOf(messages: SandboxSlackMessage[], workflowId: string): SandboxSlackMessage[] {
  return messages.filter((m) => m.metadata?.event_payload?.workflow_id === workflowId);
}
