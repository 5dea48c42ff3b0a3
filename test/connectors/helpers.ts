/**
 * Test access to an in-process sandbox (port 0) and connector clients pointed at it, built from
 * config exactly as the worker builds them.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createSandbox, type Sandbox } from '../../src/sandbox';
import type { FaultSettings, RecordedRequest, SystemName } from '../../src/sandbox/core';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { createConnectors, type ConnectorClients } from '../../src/connectors/clients';

export interface TestSandbox {
  sandbox: Sandbox;
  url: string;
  config: Config;
  clients: ConnectorClients;
  /** Fault settings for one system (unset fields default to no fault). */
  faults(system: SystemName, settings: Partial<FaultSettings>): Promise<void>;
  records(system: SystemName, filter?: (r: RecordedRequest) => boolean): Promise<RecordedRequest[]>;
  control(path: string, body?: unknown): Promise<unknown>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startSandbox(env: Record<string, string> = {}): Promise<TestSandbox> {
  const sandbox = createSandbox();
  const server: Server = await new Promise((resolve) => {
    const s = sandbox.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A case looks at a Skyfire pay token's charges every second here (1 min by default).
  const config = loadConfig({ SANDBOX_URL: url, LOG_LEVEL: 'silent', SKYFIRE_CHARGE_POLL_INTERVAL: '1s', ...env });
  const clients = createConnectors(config.connectors, { timeoutMs: 5000 });
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(
      `${url}/_sandbox${path}`,
      body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
    if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    sandbox,
    url,
    config,
    clients,
    async faults(system, settings) {
      await control(`/faults/${system}`, settings);
    },
    async records(system, filter) {
      const all = (await control(`/records?system=${system}`)) as RecordedRequest[];
      return filter ? all.filter(filter) : all;
    },
    control,
    async reset() {
      await control('/reset', {});
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Asserts that `p` rejects with an error of the given type name (`ApplicationFailure.type`). */
export async function rejectsWithType(
  p: Promise<unknown>,
  type: string,
  check?: (err: {
    type?: string;
    nonRetryable?: boolean;
    nextRetryDelay?: unknown;
    code?: string;
    status?: number;
    message: string;
  }) => void,
): Promise<void> {
  try {
    await p;
  } catch (err) {
    const e = err as { type?: string; nonRetryable?: boolean; message: string };
    if (e.type !== type) throw new Error(`expected ${type}, got ${e.type ?? (err as Error).name}: ${e.message}`, { cause: err });
    check?.(e);
    return;
  }
  throw new Error(`expected ${type}, but it resolved`);
}
