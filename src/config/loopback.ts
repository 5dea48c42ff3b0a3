/** Loopback host names and addresses: what "on this machine" means for the development-only codec admission. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for a loopback host name or address (localhost, 127.0.0.0/8, ::1, IPv4-mapped 127.x). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The origins of a loopback UI as a browser may name it: `http://localhost:8233` is also opened as
 * `http://127.0.0.1:8233` or `http://[::1]:8233`. A non-loopback origin is returned alone.
 */
export function loopbackAliases(origin: string): string[] {
  const u = new URL(origin);
  if (!isLoopbackHost(u.hostname)) return [origin];
  return [...LOOPBACK_NAMES].map((name) => `${u.protocol}//${name}${u.port ? `:${u.port}` : ''}`);
}
