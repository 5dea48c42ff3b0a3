/**
 * The container's HEALTHCHECK (Dockerfile): exits 0 when the URL answers 2xx within 4 s, else 1.
 * Default: the API's liveness, `http://127.0.0.1:${HTTP_PORT:-3000}/healthz`. A worker container
 * passes its runtime metrics endpoint (docker-compose.yml). No curl in the slim Node image.
 * Usage: node dist/scripts/healthcheck.js [url]
 */
// The container's own environment, read once here: this is a probe, not the service's configuration.
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.HTTP_PORT ?? '3000'}/healthz`;

fetch(url, { signal: AbortSignal.timeout(4000) })
  .then((res) => {
    if (!res.ok) console.error(`healthcheck: ${url} answered HTTP ${res.status}`);
    process.exit(res.ok ? 0 : 1);
  })
  .catch((err: unknown) => {
    console.error(`healthcheck: ${url} did not answer: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
