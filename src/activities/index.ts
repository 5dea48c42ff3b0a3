/**
 * All activities, built from their dependencies. Only the worker builds real dependencies from
 * configuration; tests pass fakes or sandbox-backed clients.
 */
import { createSelfTestActivities } from './self-test';
import { createCaseActivities, unconfiguredCaseActivities } from './case-activities';
import type { ConnectorClients } from './deps';

export { createConnectors, type ConnectorClients } from './deps';

export interface ActivityDeps {
  workerIdentity: string;
  /** Connector clients (`createConnectors(config.connectors)`); without them business steps fail fast. */
  connectors?: ConnectorClients;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfTestActivities(deps),
    ...(deps.connectors ? createCaseActivities(deps.connectors) : unconfiguredCaseActivities()),
  };
}
export type Activities = ReturnType<typeof createActivities>;
