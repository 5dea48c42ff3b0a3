/**
 * A rolling deploy of a changed refund workflow while cases wait, with Worker Versioning (worker
 * deployments, server 1.32.1 / SDK 1.24): v1 workers hold refunds waiting for approval; v2 workers,
 * whose refund workflow is changed incompatibly (test/cluster/fixtures/workflows-v2.ts), join the
 * deployment and are made current. New refunds run on v2; the waiting ones stay pinned to v1, are
 * approved there and finish correctly; v1 drains and is shut down. The procedure is the one in
 * docs/workflows.md ("Deploying a changed workflow").
 */
import type { DecisionSubject } from '../../src/domain/decision';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import { parseKeyringSpec } from '../../src/temporal/codec';
import { createDataConverter } from '../../src/temporal/data-converter';
import { NAMESPACE, workflowBundle } from '../support/temporal';
import { ServiceHarness } from '../support/service';
import { refundCall, runTag, seedRefundInvoices } from '../reliability/calls';
import { casesWith, moneyEffects, summarize } from '../reliability/ledger';
import { figure, refundWorkflowId, waitForCases, waitForPendingApproval } from '../reliability/helpers';
import { REFUND_FLOW_MEMO } from './fixtures/workflows-v2';
import { sparePort, testCluster } from './fixture';
import { productionEnv, slackApprove } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PINNED = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;

describe('cluster: rolling deploy of a changed refund workflow while cases wait (Worker Versioning)', function () {
  this.timeout(15 * 60_000);
  const tag = runTag();
  const deploymentName = `billing-handoffs-${tag}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rolling-deploy-'));
  const v1Bundle = path.join(dir, 'v1.js');
  const v2Bundle = path.join(dir, 'v2.js');
  let svc: ServiceHarness;
  let client: Client;

  before(async () => {
    fs.writeFileSync(v1Bundle, (await workflowBundle()).code);
    const v2 = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/workflows-v2'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    fs.writeFileSync(v2Bundle, v2.code);
    svc = new ServiceHarness({
      temporalAddress: testCluster().address,
      env: productionEnv(),
    });
    svc.sandboxPort = sparePort(3);
    await svc.startSandbox();
    await svc.startApi(sparePort(4));
    client = await svc.client();
  });
  after(async () => {
    await client?.connection.close();
    await svc?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `temporal worker deployment set-current-version`: retried until the build's pollers have registered it. */
  async function setCurrentVersion(buildId: string): Promise<void> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await client.workflowService.setWorkerDeploymentCurrentVersion({
          namespace: NAMESPACE,
          deploymentName,
          buildId,
          identity: 'rolling-deploy-test',
        });
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`could not make ${deploymentName}:${buildId} current: ${(err as Error).message}`, { cause: err });
        await sleep(500);
      }
    }
  }

  async function versionOf(callId: string) {
    const d = await client.workflow.getHandle(refundWorkflowId(callId)).describe();
    const info = d.raw.workflowExecutionInfo?.versioningInfo;
    return { buildId: info?.deploymentVersion?.buildId ?? undefined, behavior: info?.behavior, memo: d.memo?.[REFUND_FLOW_MEMO] };
  }

  async function waitingRefunds(prefix: string, n: number) {
    const ids = Array.from({ length: n }, (_, i) => `call_${prefix}_${tag}_${i}`);
    const bodies = ids.map((id) => refundCall(id, { amount: '120.00' }));
    await seedRefundInvoices(svc.sandboxUrl, bodies);
    const answers = await Promise.all(bodies.map((body) => svc.postCall(body)));
    assert.deepEqual(
      answers.map((a) => a.status),
      ids.map(() => 202),
    );
    const requests = await Promise.all(ids.map((id) => waitForPendingApproval(client, id, 120_000)));
    return ids.map((callId, i) => {
      const shown = requests[i] as { requestId: string; subject?: DecisionSubject };
      return { callId, requestId: shown.requestId, subject: shown.subject };
    });
  }

  /** Running cases pinned to a build, as an operator checks before shutting it down. */
  async function runningOn(buildId: string): Promise<number> {
    const { count } = await client.workflow.count(
      `TemporalWorkerDeploymentVersion = '${deploymentName}:${buildId}' AND ExecutionStatus = 'Running'`,
    );
    return count;
  }

  it('keeps waiting cases on v1, sends new ones to v2, and both finish', async () => {
    // 1. v1 is deployed and current; refunds start and wait for approval on it.
    const v1Worker = await svc.startWorker({ WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: 'v1' }, v1Bundle);
    await setCurrentVersion('v1');
    const old = await waitingRefunds('deploy_old', 3);
    for (const c of old)
      assert.deepEqual(await versionOf(c.callId), { buildId: 'v1', behavior: PINNED, memo: undefined }, `${c.callId} is pinned to v1`);

    // 2. v2 (changed refund workflow) joins the deployment and becomes current; v1 keeps running.
    await svc.startWorker({ WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: 'v2' }, v2Bundle);
    await setCurrentVersion('v2');
    const fresh = await waitingRefunds('deploy_new', 3);
    for (const c of fresh)
      assert.deepEqual(await versionOf(c.callId), { buildId: 'v2', behavior: PINNED, memo: 'v2' }, `${c.callId} runs v2`);
    for (const c of old) assert.equal((await versionOf(c.callId)).buildId, 'v1', `${c.callId} stays on v1 after the switch`);
    let pinnedToV1 = 0;
    for (let i = 0; i < 40 && pinnedToV1 !== old.length; i++) {
      pinnedToV1 = await runningOn('v1');
      if (pinnedToV1 !== old.length) await sleep(250);
    }
    assert.equal(pinnedToV1, old.length, 'visibility shows the waiting cases pinned to v1');

    // 3. The old cases are approved: v1 workers run them to the end. Then the new ones.
    for (const c of [...old, ...fresh])
      assert.equal(
        (await slackApprove(svc, svc.apiUrl, c.callId, c.requestId, 'U0FIN0001', c.subject)).status,
        200,
        `${c.callId} approved`,
      );
    const results = await waitForCases(
      client,
      [...old, ...fresh].map((c) => c.callId),
      5 * 60_000,
    );
    assert.deepEqual(
      [...results.values()].map((s) => s.status),
      [...old, ...fresh].map(() => 'completed'),
    );
    for (const c of old)
      assert.deepEqual(await versionOf(c.callId), { buildId: 'v1', behavior: PINNED, memo: undefined }, `${c.callId} finished on v1`);
    for (const c of fresh) assert.equal((await versionOf(c.callId)).buildId, 'v2');

    // 4. v1 has drained: nothing runs on it any more, so its workers can go.
    let left = -1;
    for (let i = 0; i < 40 && left !== 0; i++) {
      left = await runningOn('v1');
      if (left !== 0) await sleep(250);
    }
    assert.equal(left, 0, 'no running case is pinned to v1');
    await svc.kill(v1Worker, 'SIGTERM');

    const ids = [...old, ...fresh].map((c) => c.callId);
    const sum = summarize(moneyEffects(await svc.sandboxRecords(), ids));
    assert.deepEqual(sum.duplicates, []);
    assert.equal(casesWith(moneyEffects(await svc.sandboxRecords(), ids), 'refund_receipt').size, ids.length, 'every refund recorded once');

    // Pinning was needed: a v1 case's history does not replay on the v2 code.
    const dataConverter = createDataConverter(parseKeyringSpec(svc.codecKeys));
    const history = await client.workflow.getHandle(refundWorkflowId(old[0]?.callId as string)).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: v1Bundle }, dataConverter }, history);
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: { codePath: v2Bundle }, dataConverter }, history),
      DeterminismViolationError,
    );
    figure(
      `rolling deploy: ${old.length} refunds waiting on v1 when v2 became current -> finished on v1 (their history does not replay on v2); ${fresh.length} new refunds ran v2; v1 drained and stopped; ${sum.duplicates.length} duplicates`,
    );
  });
});
