/**
 * `npm run sandbox`: the emulated APIs on their own (default port 4010, or SANDBOX_PORT). The
 * sandbox reads its own port here rather than through the service's config: it must not import
 * service code.
 */
import { createSandbox } from './index';
import type { SystemName } from './core';

const port = Number(process.env.SANDBOX_PORT ?? 4010);
const sandbox = createSandbox();
const servers = [
  sandbox.app.listen(port, '127.0.0.1', () => {
    console.log(`Sandbox listening on http://127.0.0.1:${port} (pages at /, control at /_sandbox)`);
  }),
];
// SANDBOX_SYSTEM_PORTS=quickbooks:4011,zendesk:4012 serves those systems at the root of their own
// port, for vendor clients that take a host but not a path prefix.
for (const pair of (process.env.SANDBOX_SYSTEM_PORTS ?? '').split(',').filter(Boolean)) {
  const [name, p] = pair.split(':');
  const app = sandbox.systemApps.get(name.trim() as SystemName);
  if (!app || !/^\d+$/.test(p ?? '')) throw new Error(`SANDBOX_SYSTEM_PORTS: "${pair}" is not <system>:<port> for a known system`);
  servers.push(app.listen(Number(p), '127.0.0.1', () => console.log(`  ${name} at http://127.0.0.1:${p}/`)));
}
const stop = () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))).then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
