/**
 * CI smoke of the benchmark: the quick mode end to end against the test run's Temporal server
 * (children: floor worker, service worker, API + sandbox), then the report's files and figures.
 * Small sizes: it proves the harness and every measured path work, not how fast they are.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchUsageError, parseBenchArgs, runBench } from '../../bench/run';
import type { BenchReport } from '../../bench/lib/report';
import { percentile, summarize } from '../../bench/lib/stats';
import { runClosedLoop, LoadError } from '../../bench/lib/load';
import { startBenchServer } from '../../bench/lib/server';
import { temporalAddress } from '../support/temporal';

describe('benchmark', function () {
  describe('arguments and statistics', () => {
    it('refuses unknown phases, non-numeric sizes and unsupported SQLite pragmas with a clear message', async () => {
      assert.throws(
        () => parseBenchArgs(['--only', 'ingest,speed']),
        (e: Error) => e instanceof BenchUsageError && /unknown phase "speed"/.test(e.message),
      );
      assert.throws(() => parseBenchArgs(['--waiting', 'lots']), /--waiting must be a positive integer, got "lots"/);
      assert.throws(() => parseBenchArgs(['--turbo']), /Unknown option '--turbo'/);
      await assert.rejects(
        startBenchServer({ dir: os.tmpdir(), pragmas: ['cache_size=-64000'] }),
        /unsupported SQLite pragma "cache_size=-64000"/,
      );
    });

    it('takes quick mode, a server address and pragmas from the command line', () => {
      const o = parseBenchArgs([
        '--quick',
        '--temporal-address',
        '127.0.0.1:7233',
        '--sqlite-pragma',
        'journal_mode=wal',
        '--waiting',
        '20',
      ]);
      assert.equal(o.mode, 'quick');
      assert.equal(o.temporalAddress, '127.0.0.1:7233');
      assert.deepEqual(o.pragmas, ['journal_mode=wal']);
      assert.equal(o.waiting, 20);
      assert.deepEqual(parseBenchArgs([]).pragmas, ['journal_mode=wal', 'synchronous=normal']);
    });

    it('takes server dynamic config as key=value with booleans and numbers typed, and refuses a value without a key', () => {
      const o = parseBenchArgs([
        '--server-config',
        'system.enableActivityEagerExecution=false',
        '--server-config',
        'history.cacheMaxSize=512',
        '--server-config',
        'x.mode=fast',
      ]);
      assert.deepEqual(o.serverConfig, { 'system.enableActivityEagerExecution': false, 'history.cacheMaxSize': 512, 'x.mode': 'fast' });
      assert.equal(parseBenchArgs([]).serverConfig, undefined);
      assert.throws(() => parseBenchArgs(['--server-config', '=true']), /--server-config must be key=value, got "=true"/);
    });

    it('computes nearest-rank percentiles and throughput over the window', () => {
      const xs = Array.from({ length: 100 }, (_, i) => i + 1);
      assert.deepEqual([percentile(xs, 50), percentile(xs, 95), percentile(xs, 99), percentile(xs, 100)], [50, 95, 99, 100]);
      const s = summarize([30, 10, 20], 1, 1500);
      assert.deepEqual([s.count, s.errors, s.throughput, s.p50, s.max, s.mean], [3, 1, 2, 20, 30, 20]);
    });

    it('counts failed operations as errors, not latencies, and refuses a zero concurrency', async () => {
      const r = await runClosedLoop(
        async (seq) => {
          if (seq % 2) throw new Error('odd');
        },
        { concurrency: 2, durationMs: 200, warmupMs: 0 },
      );
      assert.ok(r.count > 0 && r.errors > 0, JSON.stringify(r));
      assert.equal(r.firstError, 'odd');
      await assert.rejects(
        runClosedLoop(async () => undefined, { concurrency: 0, durationMs: 100, warmupMs: 0 }),
        LoadError,
      );
    });

    it('gives the closed loop its rate by the response-time law, from the measured operation times', async () => {
      // Four users, operations of at least 300 ms that finish in step. The plain count of completions
      // inside a short window moves by a whole round depending on where the window falls; the law
      // (users / mean time per operation) does not. Asserted against the times measured in this run,
      // not against a rate: on a busy machine the timers fire late and both figures drop together.
      let windowOpenedAt = 0;
      const t0 = Date.now();
      const r = await runClosedLoop(() => new Promise((resolve) => setTimeout(resolve, 300)), {
        concurrency: 4,
        durationMs: 1000,
        warmupMs: 0,
        onWindowStart: () => (windowOpenedAt = Date.now() - t0),
      });
      assert.ok(r.count > 0 && r.errors === 0, JSON.stringify(r));
      assert.ok(r.mean >= 299, `an operation takes at least its 300 ms timer: ${JSON.stringify(r)}`);
      assert.ok(Math.abs(r.throughput - 4000 / r.mean) <= 0.15, `throughput by the law, 4 users / ${r.mean} ms: ${JSON.stringify(r)}`);
      assert.ok(r.throughput <= 13.4, 'never above 4 users / 300 ms');
      assert.equal(r.completedPerSecond, Math.round(r.count * 10) / 10, 'the plain count per second of the 1 s window');
      // The window opened only once every user had finished an operation.
      assert.ok(windowOpenedAt >= 290, `window opened at ${windowOpenedAt} ms`);
    });
  });

  describe('quick mode against the test server', function () {
    this.timeout(150_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-quick-'));
    let report: BenchReport;

    before(async () => {
      report = await runBench(
        { mode: 'quick', temporalAddress: temporalAddress(), outDir: out, pragmas: [], only: ['cost', 'ingest', 'e2e', 'waiting'] },
        () => undefined,
      );
    });
    after(() => fs.rmSync(out, { recursive: true, force: true }));

    it('measures the webhook and its floor at each concurrency, without errors', () => {
      assert.deepEqual(
        report.ingest?.map((l) => l.concurrency),
        [1, 4],
      );
      for (const l of report.ingest ?? []) {
        assert.ok(l.floor.count > 0 && l.service.count > 0, JSON.stringify(l));
        assert.equal(l.service.errors, 0, l.service.firstError);
        assert.ok(l.service.p99 >= l.service.p50 && l.service.p50 > 0);
      }
    });

    it('runs automated refunds and invoice resends to completion beside floors with the same activity count', () => {
      const refund = report.cost?.cases.find((c) => c.name === 'refund_request (automated)');
      assert.ok(refund?.available, refund?.reason);
      const names = report.e2e?.map((s) => s.name) ?? [];
      assert.ok(names.includes('refund (automated)'), `e2e series: ${names.join(', ')}; skipped: ${report.skipped.join('; ')}`);
      for (const s of report.e2e ?? []) {
        assert.ok(s.activities > 0);
        for (const l of s.levels) {
          assert.ok(l.service.count > 0, `${s.name}: no case completed (${l.service.firstError})`);
          assert.equal(l.service.errors, 0, `${s.name}: ${l.service.firstError}`);
        }
      }
      // Reads are local activities; the floor runs the same number of calls as ordinary no-op activities.
      assert.ok((refund?.cost?.localActivities ?? 0) > 0, 'the refund reads through local activities');
      const floor = report.cost?.floors.find((f) => f.name.includes('beside refund_request (automated)'));
      assert.equal(floor?.cost?.activitiesScheduled, refund?.cost?.activityCalls);
      assert.equal(report.e2e?.find((s) => s.name === 'refund (automated)')?.activities, refund?.cost?.activityCalls);
    });

    it('parks every waiting case, reads the worker memory, and approves a random sample', () => {
      const w = report.waiting;
      assert.ok(w, `waiting skipped: ${report.skipped.join('; ')}`);
      assert.equal(w.waiting, w.requested);
      assert.ok(w.worker.rssBytes > 0 && w.worker.heapUsedBytes > 0);
      assert.equal(w.approvals.errors, 0, w.approvals.firstError);
      assert.equal(w.approvals.toRefund.count, w.approvals.count);
      assert.ok(w.approvals.toRefund.p50 <= w.approvals.toCompleted.p50);
    });

    it('counts history events and billable actions per case type, more for a case than for its floor', () => {
      for (const c of report.cost?.cases.filter((x) => x.available) ?? []) {
        assert.ok(c.cost && c.cost.historyEvents > 0 && c.cost.billableActions >= c.cost.activitiesScheduled + 1, c.name);
      }
      const trivial = report.cost?.floors.find((f) => f.name === 'floor: trivial workflow');
      assert.equal(trivial?.cost?.billableActions, 1);
    });

    it('writes the JSON, a markdown table with every target, and an SVG chart', () => {
      const json = JSON.parse(fs.readFileSync(path.join(out, 'bench-quick.json'), 'utf8')) as BenchReport;
      assert.equal(json.targets.length, report.targets.length);
      assert.ok(report.targets.some((t) => t.name.startsWith('ingest c=4 throughput')));
      assert.ok(report.targets.some((t) => t.name.startsWith('decision -> refund recorded p99')));
      const md = fs.readFileSync(path.join(out, 'bench-quick.md'), 'utf8');
      for (const t of report.targets) assert.ok(md.includes(`| ${t.name} |`), t.name);
      const svg = fs.readFileSync(path.join(out, 'bench-quick.svg'), 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.ok((svg.match(/<polyline/g) ?? []).length >= 4, 'ingest and e2e lines drawn');
    });
  });
});
