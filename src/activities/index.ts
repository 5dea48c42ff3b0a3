/**
 * All activities, built from their dependencies. Only the worker builds real dependencies from
 * configuration; tests pass fakes or sandbox-backed clients.
 */
import { createSelfTestActivities } from './self-test';
import { createCaseActivities, unconfiguredCaseActivities, type AuthorityDeps } from './case-activities';
import type { ConnectorClients } from '../connectors/clients';

export interface ActivityDeps {
  workerIdentity: string;
  /** Connector clients (`createConnectors(config.connectors)`); without them business steps fail fast. */
  connectors?: ConnectorClients;
  /** The worker's policy, decision key and Temporal client (required with connectors). */
  authority?: AuthorityDeps;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfTestActivities(deps),
    ...(deps.connectors && deps.authority ? createCaseActivities(deps.connectors, deps.authority) : unconfiguredCaseActivities()),
  };
}
export type Activities = ReturnType<typeof createActivities>;
