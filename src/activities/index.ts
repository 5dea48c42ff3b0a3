/**
 * All activities, built from their dependencies. Only the worker builds real dependencies from
 * configuration; tests pass fakes or sandbox-backed clients.
 */
import { createSelfTestActivities } from './self-test';

export interface ActivityDeps {
  workerIdentity: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfTestActivities(deps),
  };
}
export type Activities = ReturnType<typeof createActivities>;
