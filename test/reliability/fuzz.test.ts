/**
 * Issue 7 §5, fuzzing: generated bad inputs to the DialNexa webhook and the Slack interactions
 * endpoint of the service running as a child process. Each answer is a 4xx with a clear message,
 * never a 5xx; no workflow starts (listed from the server); /healthz answers 200 throughout. The
 * exception (issue 24 §1): a signed call with a usable id and bad fields is kept, 202 naming each
 * bad field, and only such calls start cases (held for a person).
 * CI: 600 + 400 inputs; `npm run test:reliability:full` sends 5 000 + 5 000.
 */
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { signDialNexaBody } from '../../src/intake/signature';
import { temporalAddress } from '../support/temporal';
import { ServiceHarness, request } from '../support/service';
import { dialnexaCases, slackCases, type FuzzCase } from './fuzz';
import { figure, listWorkflowIds, size } from './helpers';
import { runTag } from './calls';

describe('reliability: fuzzing the public endpoints', function () {
  this.timeout(15 * 60_000);
  let svc: ServiceHarness;
  let client: Client;

  before(async () => {
    svc = new ServiceHarness({ temporalAddress: temporalAddress() });
    await svc.startSandbox();
    // A worker too: had anything started, it would run and show.
    await Promise.all([svc.startApi(), svc.startWorker()]);
    client = await svc.client();
  });
  after(async () => {
    await client?.connection.close();
    await svc?.stop();
  });

  it('answers every bad input with a 4xx and a message, starts nothing, and stays healthy', async () => {
    const seed = Number(process.env.RELIABILITY_FUZZ_SEED ?? 7);
    const cases: (FuzzCase & { target: 'dialnexa' | 'slack' })[] = [
      ...dialnexaCases(size('RELIABILITY_FUZZ_DIALNEXA', 600), seed, `call_fuzz_${runTag()}`).map((c) => ({
        ...c,
        target: 'dialnexa' as const,
      })),
      ...slackCases(size('RELIABILITY_FUZZ_SLACK', 400), seed + 1).map((c) => ({ ...c, target: 'slack' as const })),
    ];

    // Health probe running the whole time.
    let probing = true;
    const health = { ok: 0, bad: [] as string[] };
    const prober = (async () => {
      while (probing) {
        try {
          const res = await fetch(`${svc.apiUrl}/healthz`);
          if (res.status === 200) health.ok++;
          else health.bad.push(`status ${res.status}`);
        } catch (err) {
          health.bad.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    const failures: string[] = [];
    /** Call ids of the held calls (the only ones that may start cases). */
    const held = new Set<string>();
    const byStatus = new Map<number, number>();
    const send = async (c: (typeof cases)[number]) => {
      const headers = { ...c.headers };
      let url: string;
      if (c.target === 'dialnexa') {
        url = `${svc.apiUrl}/webhooks/dialnexa`;
        if (c.sign === 'dialnexa') headers['x-dialnexa-signature'] = signDialNexaBody(c.body, svc.webhookSecret);
        else if (c.sign) headers['x-dialnexa-signature'] = signDialNexaBody(c.sign.otherBody, svc.webhookSecret);
      } else {
        url = `${svc.apiUrl}/slack/interactions`;
        if (c.slackSign) {
          const ts = Math.floor(Date.now() / 1000) + c.slackSign.offsetSeconds;
          headers['x-slack-request-timestamp'] = String(ts);
          headers['x-slack-signature'] = svc.slackSignature(ts, c.body);
        }
      }
      let res: { status: number; json: unknown; text: string };
      try {
        res = await request(url, { method: 'POST', headers, body: c.body });
      } catch (err) {
        failures.push(`${c.target} ${c.name}: no answer (${(err as Error).message})`);
        return;
      }
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      if (c.held) {
        const unreadable = (res.json as { unreadable?: { field?: unknown; message?: unknown }[] } | undefined)?.unreadable;
        if (res.status !== 202) failures.push(`${c.target} ${c.name}: held call answered ${res.status} ${res.text.slice(0, 200)}`);
        else if (!unreadable?.length || unreadable.some((u) => typeof u.field !== 'string' || typeof u.message !== 'string'))
          failures.push(`${c.target} ${c.name}: 202 without the unreadable fields named: ${res.text.slice(0, 200)}`);
        else held.add(c.held.callId);
        return;
      }
      const message = (res.json as { message?: unknown } | undefined)?.message;
      if (res.status < 400 || res.status >= 500)
        failures.push(`${c.target} ${c.name}: status ${res.status} ${res.text.slice(0, 200)} for ${c.body.slice(0, 200)}`);
      else if (typeof message !== 'string' || message.trim().length < 10)
        failures.push(`${c.target} ${c.name}: ${res.status} without a clear message: ${res.text.slice(0, 200)}`);
    };
    // A few requests at a time: fuzzing, not load.
    const queue = [...cases];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) await send(c);
      }),
    );
    probing = false;
    await prober;

    // Visibility lags starts a little: wait until every held call's case is listed (or 15 s).
    let started = await listWorkflowIds(client, svc.taskQueue);
    for (let i = 0; i < 60 && ![...held].every((callId) => started.some((id) => id.endsWith(`-${callId}`))); i++) {
      await new Promise((r) => setTimeout(r, 250));
      started = await listWorkflowIds(client, svc.taskQueue);
    }
    const statuses = [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s} x${n}`)
      .join(', ');
    const dn = cases.filter((c) => c.target === 'dialnexa').length;
    figure(
      `fuzz: ${cases.length} inputs (webhook ${dn}, slack ${cases.length - dn}) -> ${statuses}; ${failures.length} not a clear 4xx (or held 202); ${held.size} calls held, ${started.length} workflows; healthz 200 x${health.ok}, ${health.bad.length} bad`,
    );
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} inputs were not refused with a clear 4xx`);
    const heldCases = new Set(started.filter((id) => [...held].some((callId) => id.endsWith(`-${callId}`))));
    assert.deepEqual(
      started.filter((id) => !heldCases.has(id)),
      [],
      'no refused input started a workflow',
    );
    assert.ok(
      [...held].every((callId) => started.some((id) => id.endsWith(`-${callId}`))),
      'every held call started its case',
    );
    assert.deepEqual(health.bad, [], '/healthz stayed 200');
    assert.ok(health.ok > 0, 'the health probe ran');
    assert.ok(cases.length >= 1000 || process.env.RELIABILITY_FUZZ_DIALNEXA !== undefined, 'at least 1 000 inputs by default');
  });
});
