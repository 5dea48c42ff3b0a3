/**
 * `npm run sandbox`: the emulated APIs on their own (default port 4010, or SANDBOX_PORT). The
 * sandbox reads its own port here rather than through the service's config: it must not import
 * service code.
 */
import { createSandbox } from './index';

const port = Number(process.env.SANDBOX_PORT ?? 4010);
const { app } = createSandbox();
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`Sandbox listening on http://127.0.0.1:${port} (pages at /, control at /_sandbox)`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
