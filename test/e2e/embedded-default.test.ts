/**
 * The run command's own process: `node dist/src/main.js` as `npm start` runs it after the build,
 * with its dev server on a SQLite file, the sandbox, the worker and the API, on free ports and a
 * temporary DATA_DIR. Proves the README's promises: it comes up (health, Web UI), runs a case end to
 * end, Ctrl-C leaves no process behind, and a restart still shows earlier workflows.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { PROJECT_ROOT } from '../../src/devtools/temporal-cli';
import { signDialNexaBody } from '../../src/intake/signature';
import { buildOnce } from '../support/build';
import { embedded, waitFor, type Embedded } from '../support/embedded';
import { freshDelivery } from '../../scripts/call-fixture';

describe('the embedded default (npm start)', function () {
  this.timeout(300_000);
  let service: Embedded;
  let dataDir: string;

  before(async () => {
    // `npm start` builds first: the compiled service and the workflow bundle it loads.
    await buildOnce();
    service = await embedded('embedded-default');
    dataDir = service.dataDir;
  });

  after(() => service?.cleanUp());

  const start = () => service.start();
  const stop = (r: Awaited<ReturnType<typeof start>>) => service.stop(r);
  const token = () => service.token();
  const caseState = async (workflowId: string) => {
    const res = await fetch(`${service.api}/cases/${encodeURIComponent(workflowId)}`, { headers: { authorization: `Bearer ${token()}` } });
    return res.status === 200 ? ((await res.json()) as { executionStatus: string; state: { status: string } }) : undefined;
  };

  it('comes up with health, the Web UI and a working case path; Ctrl-C leaves no process; a restart keeps the case', async () => {
    const first = await start();
    assert.equal((await fetch(`${service.api}/healthz`)).status, 200);
    assert.equal((await fetch(`${service.api}/readyz`)).status, 200);
    assert.equal((await fetch(service.ui)).status, 200, 'Temporal Web UI answers');

    // A signed DialNexa call: the invoice resend runs to completion against the sandbox.
    const raw = JSON.stringify(
      freshDelivery(JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'calls', 'invoice_resend.json'), 'utf8'))),
    );
    const secret = fs.readFileSync(path.join(dataDir, 'secrets', 'dialnexa-webhook'), 'utf8').trim();
    const posted = await fetch(`${service.api}/webhooks/dialnexa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, secret) },
      body: raw,
    });
    assert.equal(posted.status, 202, await posted.clone().text());
    const { cases } = (await posted.json()) as { cases: { workflowId: string }[] };
    const workflowId = cases[0].workflowId;
    const done = await waitFor(
      'the case to complete',
      async () => ((await caseState(workflowId))?.state.status === 'completed' ? true : undefined),
      90_000,
    );
    assert.equal(done, true);

    // The ledger reconciliation's Schedule exists once the worker started (issue 21), every 15 min, overlap SKIP.
    const temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${service.env.TEMPORAL_DEV_PORT}` }) });
    try {
      const d = await temporal.schedule.getHandle('ledger-reconciliation').describe();
      assert.equal(Number(d.spec.intervals?.[0].every), 15 * 60_000);
      assert.equal(d.policies.overlap, 'SKIP');
      assert.equal(d.action.type === 'startWorkflow' && d.action.workflowType, 'reconcileLedger');
    } finally {
      await temporal.connection.close();
    }

    await stop(first);
    assert.deepEqual(service.processes(), [], 'no process of the service (dev server included) survives Ctrl-C');

    const second = await start();
    try {
      const again = await caseState(workflowId);
      assert.equal(again?.executionStatus, 'COMPLETED', 'the earlier case is still there after a restart (SQLite file)');
    } finally {
      await stop(second);
    }
    assert.deepEqual(service.processes(), []);
  });
});
