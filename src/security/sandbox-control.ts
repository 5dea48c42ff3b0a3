/**
 * Who may use the sandbox's control routes (`/_sandbox/...`) when this service starts a sandbox.
 * They return every outbound body and sign Slack clicks as any seeded user: open on a developer's
 * machine (NODE_ENV=development) only; anywhere else (SANDBOX_SYSTEMS in a staging set-up, or
 * NODE_ENV=test) they need the API token as a bearer token.
 */
import type { Config } from '../config/types';
import { resolveSecrets } from '../dev-secrets';
import type { SandboxControlAccess } from '../sandbox/core';

export function sandboxControlAccess(config: Config): SandboxControlAccess {
  if (config.env === 'development') return 'open';
  const token = resolveSecrets(config).apiToken;
  // No token, no control plane (fail closed).
  return token ? { token } : 'off';
}
