/**
 * The sandbox: every emulated system composed into one express app. `npm run sandbox` runs it
 * standalone (src/sandbox/main.ts); the embedded default (`npm start`) starts it for systems that
 * have no credentials; tests start it in-process on port 0.
 */
import type { Express } from 'express';
import { createSandboxApp, SandboxState, type SandboxSystem } from './core';
import { createSkyfireSystem } from './systems/skyfire';
import { createQuickBooksSystem } from './systems/quickbooks';
import { createHubSpotSystem } from './systems/hubspot';
import { createGmailSystem } from './systems/gmail';
import { createZendeskSystem } from './systems/zendesk';
import { createDriveSystem } from './systems/drive';
import { createSlackSystem } from './systems/slack';

export type { SandboxSystem, SystemName, RecordedRequest, FaultSettings } from './core';
export { SandboxState } from './core';

/** One factory per emulated API. Add a system with one line here. */
export const SYSTEM_FACTORIES: (() => SandboxSystem)[] = [
  createSkyfireSystem,
  createQuickBooksSystem,
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
}

export function createSandbox(opts: { factories?: (() => SandboxSystem)[]; state?: SandboxState } = {}): Sandbox {
  const systems = (opts.factories ?? SYSTEM_FACTORIES).map((f) => f());
  const { app, state } = createSandboxApp(systems, opts.state ?? new SandboxState());
  return { app, state, systems };
}
