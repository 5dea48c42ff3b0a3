import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createActivities } from '../../src/activities/index';
import { createLogger } from '../../src/logger';
import { startTestWorker, testClient, temporalAddress } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';

const API_TOKEN = 'test-api-token-0123456789abcdef0123456789';
const auth = { authorization: `Bearer ${API_TOKEN}` };

describe('walking skeleton: HTTP -> Temporal -> activity', () => {
  let client: Client;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let server: Server;
  let baseUrl: string;

  before(async () => {
    client = await testClient();
    worker = await startTestWorker(createActivities({ workerIdentity: 'skeleton-test-worker' }));
    const config = loadConfig({ TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_TASK_QUEUE: worker.taskQueue, LOG_LEVEL: 'silent' });
    const secrets = {
      decisionKey: TEST_DECISION_KEY,
      dialnexaWebhookSecret: 'test-dialnexa-secret-0123456789',
      slackSigningSecret: 'test-slack-signing-secret',
      apiToken: API_TOKEN,
    };
    const app = createApp({ config, client, logger: createLogger({ level: 'silent' }), secrets });
    server = app.listen(0);
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server?.close();
    await worker?.stop();
    await client?.connection.close();
  });

  it('answers /healthz and reports Temporal reachable on /readyz', async () => {
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
    const ready = await fetch(`${baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { temporal: string }).temporal, 'reachable');
  });

  it('runs a workflow whose activity executes on the worker, and the history shows it', async () => {
    const res = await fetch(`${baseUrl}/selftest`, { method: 'POST', headers: auth });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { nonce: string; checkedBy: string };
    assert.equal(body.checkedBy, 'skeleton-test-worker');
    const handle = client.workflow.getHandle(`selftest-${body.nonce}`);
    const history = await handle.fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    assert.equal(scheduled.length, 1);
    assert.equal(scheduled[0].activityTaskScheduledEventAttributes?.activityType?.name, 'recordSelfTest');
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await fetch(`${baseUrl}/nope`, { headers: auth });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'not_found');
  });
});
