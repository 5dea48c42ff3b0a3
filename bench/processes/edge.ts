/**
 * The service's edge for the benchmark: the HTTP API exactly as createApp builds it (security,
 * intake, Slack routes) plus the sandbox, each on its own ephemeral port. Rate limits are raised
 * because the load generator is one client IP sending far more than a real DialNexa account would;
 * everything else is production configuration.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { createSandbox, SYSTEM_FACTORIES } from '../../src/sandbox';
import { createSlackSystem } from '../../src/sandbox/systems/slack/system';
import { createKeyring } from '../../src/temporal/codec';
import { createDataConverter } from '../../src/temporal/data-converter';
import type { EdgeInit } from '../lib/ipc';

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  // Keep-alive longer than the load generator's idle gaps, so connections are reused.
  server.keepAliveTimeout = 60_000;
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function startEdge(init: EdgeInit): Promise<{ info: Record<string, string | number>; stop: () => Promise<void> }> {
  // The Slack system joins the sandbox here if the shared factory list does not carry it yet.
  const hasSlack = SYSTEM_FACTORIES.some((f) => f().name === 'slack');
  const sandbox = createSandbox({
    factories: hasSlack ? SYSTEM_FACTORIES : [...SYSTEM_FACTORIES, () => createSlackSystem({ signingSecret: init.slackSigningSecret })],
  });
  const sb = await listen(sandbox.app);

  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: init.address,
    TEMPORAL_NAMESPACE: init.namespace,
    TEMPORAL_TASK_QUEUE: init.taskQueue,
    SANDBOX_URL: sb.url,
    RATE_LIMIT_PER_MINUTE: '10000000',
    RATE_LIMIT_BURST: '100000',
    TEMPORAL_METRICS_BIND_ADDRESS: 'off',
  });
  const keyring = createKeyring([['bench', Buffer.from(init.codecKeyHex, 'hex')]], 'bench');
  const connection = await Connection.connect({ address: init.address });
  const client = new Client({ connection, namespace: init.namespace, dataConverter: createDataConverter(keyring) });
  const logger = createLogger({ level: 'warn' });
  const app = createApp({
    config,
    client,
    logger,
    secrets: {
      dialnexaWebhookSecret: init.webhookSecret,
      slackSigningSecret: init.slackSigningSecret,
      apiToken: init.apiToken,
      decisionKey: init.decisionKeyHex,
    },
  });
  const api = await listen(app);
  return {
    info: { apiUrl: api.url, sandboxUrl: sb.url, pid: process.pid },
    stop: async () => {
      api.server.closeAllConnections();
      sb.server.closeAllConnections();
      await Promise.all([new Promise((r) => api.server.close(r)), new Promise((r) => sb.server.close(r))]);
      await connection.close();
    },
  };
}
