/**
 * The sandbox: every emulated system composed into one express app. `npm run sandbox` runs it
 * standalone (src/sandbox/main.ts); the embedded default (`npm start`) starts it for systems that
 * have no credentials; tests start it in-process on port 0.
 */
import type { Express } from 'express';
import { createSandboxApp, SandboxState, type SandboxControlAccess, type SandboxSystem, type SystemName } from './core';
import { createSkyfireSystem } from './systems/skyfire';
import { createQuickBooksSystem } from './systems/quickbooks/system';
import { createQuickBooksPaymentsSystem } from './systems/quickbooks-payments';
import { createHubSpotSystem } from './systems/hubspot';
import { createGmailSystem } from './systems/gmail';
import { createZendeskSystem } from './systems/zendesk';
import { createDriveSystem } from './systems/drive';
import { createSlackSystem } from './systems/slack/system';
import { createGoogleOAuthSystem, createIntuitOAuthSystem, OAuthRegistry, tokenGate } from './systems/oauth';

/** One factory per emulated API. Add a system with one line here. */
export const SYSTEM_FACTORIES: (() => SandboxSystem)[] = [
  createSkyfireSystem,
  createQuickBooksSystem,
  createQuickBooksPaymentsSystem,
  createHubSpotSystem,
  createGmailSystem,
  createZendeskSystem,
  createDriveSystem,
  createSlackSystem,
];

export interface Sandbox {
  app: Express;
  state: SandboxState;
  systems: SandboxSystem[];
  /** Issued OAuth tokens, registered keys and consents (Intuit's and Google's token endpoints). */
  oauth: OAuthRegistry;
  /** Each system served at the root of an app of its own (for a port per system). */
  systemApps: Map<SystemName, Express>;
}

export function createSandbox(
  opts: { factories?: (() => SandboxSystem)[]; state?: SandboxState; control?: SandboxControlAccess } = {},
): Sandbox {
  const oauth = new OAuthRegistry();
  // The token endpoints are always there: they share the registry with the gate in front of the APIs.
  const systems = [...(opts.factories ?? SYSTEM_FACTORIES).map((f) => f()), createIntuitOAuthSystem(oauth), createGoogleOAuthSystem(oauth)];
  const { app, state, systemApps } = createSandboxApp(systems, opts.state ?? new SandboxState(), (name) => tokenGate(name, oauth), {
    control: opts.control ?? 'open',
  });
  return { app, state, systems, oauth, systemApps };
}

/** Settings a plug-in may take after creation (the Slack system: where to send interactions, how to sign). */
interface Configurable {
  configure?(settings: Record<string, unknown>): void;
}

/**
 * Starts the sandbox on `port` (127.0.0.1 only). `slack` settings are handed to the Slack system,
 * when it is composed in, so its buttons reach the service signed with the service's secret.
 */
export async function startSandboxServer(opts: {
  port: number;
  slack?: { interactionsUrl: string; eventsUrl?: string; signingSecret: string };
  /** Also serve these systems at the root of their own port (0 = any free port). */
  systemPorts?: Partial<Record<SystemName, number>>;
  /** Who may use `/_sandbox/...` (default open: a developer's loopback). */
  control?: SandboxControlAccess;
}): Promise<{ url: string; systemUrls: Partial<Record<SystemName, string>>; sandbox: Sandbox; close(): Promise<void> }> {
  const sandbox = createSandbox({ control: opts.control ?? 'open' });
  if (opts.slack) (sandbox.systems.find((s) => s.name === 'slack') as (SandboxSystem & Configurable) | undefined)?.configure?.(opts.slack);
  const { createServer } = await import('node:http');
  const servers: import('node:http').Server[] = [];
  const listen = async (app: Express, port: number): Promise<string> => {
    const server = createServer(app);
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  };
  const url = await listen(sandbox.app, opts.port);
  const systemUrls: Partial<Record<SystemName, string>> = {};
  for (const [name, port] of Object.entries(opts.systemPorts ?? {}) as [SystemName, number][]) {
    const app = sandbox.systemApps.get(name);
    if (app) systemUrls[name] = await listen(app, port);
  }
  return {
    url,
    systemUrls,
    sandbox,
    close: () =>
      Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}
