/**
 * The standalone API process (`node dist/src/api.js`, as docker-compose runs it) on SIGTERM: it
 * stops taking requests, lets those in flight answer, sends its last spans to the collector and
 * exits 0. Spans are batched (about 5 s), so an API that simply died on SIGTERM lost
 * the trace of every request of its last seconds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../src/devtools/dev-server';
import { signDialNexaBody } from '../../src/intake/signature';
import { refundCall, runTag } from '../reliability/calls';
import { startCollector } from '../support/otlp-collector';
import { ServiceHarness } from '../support/service';
import { temporalAddress } from '../support/temporal';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the API process on SIGTERM', function () {
  this.timeout(120_000);

  it('flushes the spans of its last requests to the OTLP collector, closes idle connections, and exits 0', async () => {
    const collector = await startCollector();
    const { received } = collector;
    const harness = new ServiceHarness({ temporalAddress: temporalAddress() });
    harness.apiPort = await freePort();
    const api = spawn(process.execPath, ['--import', 'tsx', 'src/api.ts'], {
      cwd: ROOT,
      env: {
        ...harness.env(),
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
        OTEL_SERVICE_NAME: 'billing-api-shutdown-test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => api.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString('utf8');
          if (output.includes('API listening')) resolve();
        };
        api.stdout.on('data', onData);
        api.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`the API exited with ${code} before listening:\n${output}`)));
      });

      const raw = JSON.stringify(refundCall(`call_api_shutdown_${runTag()}`));
      const answer = await fetch(`http://127.0.0.1:${harness.apiPort}/webhooks/dialnexa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, harness.webhookSecret) },
        body: raw,
      });
      assert.equal(answer.status, 202, await answer.text());
      // At once: the span is still in the exporter's batch, and the client's keep-alive connection
      // is still open (an idle connection must not hold the exit back).
      api.kill('SIGTERM');
      assert.equal(await exited, 0, `the API exits 0 once drained:\n${output.slice(-2000)}`);
      assert.ok(
        received.some((r) => r.path === '/v1/traces' && r.body.includes('/webhooks/dialnexa')),
        `the webhook's span reached the collector before exit (received ${received.length} export(s))`,
      );
      assert.match(output, /API stopping/);
    } finally {
      if (api.exitCode === null) api.kill('SIGKILL');
      collector.close();
      await harness.stop();
    }
  });
});
