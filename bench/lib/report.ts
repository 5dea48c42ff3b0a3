/**
 * The run's outputs: targets checked against the floors, a JSON file with every figure, a markdown
 * table, and an SVG chart of latency against concurrency.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CaseCost } from '../scenarios/cost';
import type { E2ESeries } from '../scenarios/e2e';
import type { LevelResult } from '../scenarios/ingest';
import type { WaitingResult } from '../scenarios/waiting';
import { ratio } from './stats';

/** One target of issue 8, checked. `holds` is undefined when the figure could not be measured. */
export interface TargetCheck {
  name: string;
  figure: number;
  floor?: number;
  ratio?: number;
  target: string;
  holds?: boolean;
}

export interface BenchReport {
  mode: 'quick' | 'full';
  startedAt: string;
  durationSeconds: number;
  machine: Record<string, unknown>;
  server: {
    address: string;
    startedByBench: boolean;
    pragmas: string[];
    dynamicConfig: Record<string, string | number | boolean>;
    dbFile?: string;
    cluster?: boolean;
    serviceWorkers?: number;
  };
  children: Record<string, Record<string, string | number>>;
  cost?: { cases: CaseCost[]; floors: CaseCost[] };
  ingest?: LevelResult[];
  e2e?: E2ESeries[];
  waiting?: WaitingResult;
  skipped: string[];
  targets: TargetCheck[];
}

export function checkTargets(r: Pick<BenchReport, 'ingest' | 'e2e' | 'waiting'>): TargetCheck[] {
  const t: TargetCheck[] = [];
  for (const l of r.ingest ?? []) {
    const thr = ratio(l.service.throughput, l.floor.throughput);
    t.push({
      name: `ingest c=${l.concurrency} throughput (req/s)`,
      figure: l.service.throughput,
      floor: l.floor.throughput,
      ratio: thr,
      target: '>= 0.85 x floor',
      holds: thr >= 0.85,
    });
    const p99 = ratio(l.service.p99, l.floor.p99);
    t.push({
      name: `ingest c=${l.concurrency} p99 (ms)`,
      figure: l.service.p99,
      floor: l.floor.p99,
      ratio: p99,
      target: '<= 1.5 x floor',
      holds: p99 <= 1.5,
    });
  }
  for (const s of r.e2e ?? []) {
    for (const l of s.levels) {
      const thr = ratio(l.service.throughput, l.floor.throughput);
      t.push({
        name: `e2e ${s.name} c=${l.concurrency} cases/s`,
        figure: l.service.throughput,
        floor: l.floor.throughput,
        ratio: thr,
        target: '>= 0.75 x floor',
        holds: thr >= 0.75 && l.service.errors === 0,
      });
      // p99 against the floor the same way round as throughput: floor p99 / service p99 >= 0.75.
      const p99 = ratio(l.service.p99, l.floor.p99);
      t.push({
        name: `e2e ${s.name} c=${l.concurrency} p99 completion (ms)`,
        figure: l.service.p99,
        floor: l.floor.p99,
        ratio: p99,
        target: '<= 1/0.75 = 1.33 x floor',
        holds: p99 <= 1 / 0.75,
      });
    }
  }
  const w = r.waiting;
  if (w) {
    const rssMiB = Math.round(w.worker.rssBytes / 2 ** 20);
    // Fewer cases waiting than asked for (the time budget ran out) cannot confirm the target either way.
    const reached = w.waiting >= w.requested;
    t.push({
      name: `worker RSS with ${w.waiting} of ${w.requested} cases waiting (MiB)`,
      figure: rssMiB,
      target: `<= 1024 MiB (at ${w.requested} waiting)`,
      ...(reached || rssMiB > 1024 ? { holds: reached && rssMiB <= 1024 } : {}),
    });
    t.push({
      name: `decision -> refund recorded p99 (ms), ${w.approvals.count} approvals`,
      figure: w.approvals.toRefund.p99,
      target: '<= 500 ms',
      holds: w.approvals.errors === 0 && w.approvals.toRefund.p99 <= 500,
    });
  }
  return t;
}

const mib = (b?: number) => (b === undefined ? 'n/a' : `${(b / 2 ** 20).toFixed(1)} MiB`);
const yes = (h?: boolean) => (h === undefined ? 'n/a' : h ? 'yes' : '**no**');

export function markdown(r: BenchReport): string {
  const L: string[] = [];
  L.push(`# Benchmark (${r.mode}) ${r.startedAt}`, '');
  L.push(
    `Machine: ${r.machine.cpus} x ${r.machine.cpuModel}, ${r.machine.memGiB} GiB, Node ${r.machine.node}, load average at start ${(r.machine.loadavg as number[]).join(' / ')}.`,
  );
  if (r.server.cluster)
    L.push(
      `Temporal: the project cluster started by the bench (PostgreSQL 15, temporal-server 1.32.1, 4 history shards, SQL visibility), dynamic config ${
        Object.entries(r.server.dynamicConfig ?? {})
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(', ') || 'none'
      }; ${r.server.serviceWorkers ?? 1} service worker processes (the first one sampled). Run took ${r.durationSeconds} s.`,
      '',
    );
  else
    L.push(
      `Temporal: ${
        r.server.startedByBench
          ? `dev server started by the bench, SQLite file, pragmas ${r.server.pragmas.join(', ')}, dynamic config ${
              Object.entries(r.server.dynamicConfig ?? {})
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(', ') || 'none'
            }`
          : `existing server at ${r.server.address}`
      }. Run took ${r.durationSeconds} s.`,
      '',
    );
  L.push(
    'Throughput (req/s, cases/s): virtual users / mean time per operation, over the operations completed inside the measured windows (the JSON also has the plain count per second, `completedPerSecond`). CPU: read when each window opens and closes.',
    '',
  );
  L.push('## Targets', '', '| figure | service | floor | ratio | target | holds |', '| --- | ---: | ---: | ---: | --- | --- |');
  for (const t of r.targets) L.push(`| ${t.name} | ${t.figure} | ${t.floor ?? ''} | ${t.ratio ?? ''} | ${t.target} | ${yes(t.holds)} |`);
  if (r.ingest?.length) {
    L.push(
      '',
      '## Webhook ingest (to 202) vs client.workflow.start',
      '',
      "Floor: bare start of a trivial workflow. Same request: the intake's start request (encrypted case input, search attributes, summary) sent from a client, no HTTP API.",
      '',
      '| c | floor req/s | floor p50/p95/p99 ms | same request req/s | same request p50/p99 ms | webhook req/s | webhook p50/p95/p99 ms | errors | server CPU ms/req floor / same / webhook | API CPU ms/req |',
      '| ---: | ---: | --- | ---: | --- | ---: | --- | ---: | --- | ---: |',
    );
    const perReq = (cores: number | undefined, thr: number) => (cores === undefined || !thr ? 'n/a' : ((cores * 1000) / thr).toFixed(1));
    for (const l of r.ingest) {
      const sv = l.service.cpu.cores;
      L.push(
        `| ${l.concurrency} | ${l.floor.throughput} | ${l.floor.p50} / ${l.floor.p95} / ${l.floor.p99} | ${l.sameRequest.throughput} | ${l.sameRequest.p50} / ${l.sameRequest.p99} | ${l.service.throughput} | ${l.service.p50} / ${l.service.p95} / ${l.service.p99} | ${l.service.errors} | ${perReq(l.floor.cpu.cores.temporalServer, l.floor.throughput)} / ${perReq(l.sameRequest.cpu.cores.temporalServer, l.sameRequest.throughput)} / ${perReq(sv.temporalServer, l.service.throughput)} | ${perReq(sv.ingestApi, l.service.throughput)} |`,
      );
    }
  }
  for (const s of r.e2e ?? []) {
    L.push(
      '',
      `## End to end: ${s.name} (${s.activities} activities) vs ${s.activities} no-op activities`,
      '',
      '| c | floor cases/s | floor p50/p99 ms | service cases/s | service p50/p99 ms | errors | CPU cores used (floor run / service run) | server CPU ms per case floor / service | worker CPU ms per case floor / service | API+sandbox CPU ms per case |',
      '| ---: | ---: | --- | ---: | --- | ---: | --- | --- | --- | ---: |',
    );
    for (const l of s.levels) {
      const c = l.service.cpu.cores;
      const f = l.floor.cpu.cores;
      const total = (x: Record<string, number>) =>
        Object.values(x)
          .reduce((a, b) => a + b, 0)
          .toFixed(2);
      const per = (cores: number | undefined, thr: number) => (cores === undefined || !thr ? 'n/a' : ((cores * 1000) / thr).toFixed(0));
      L.push(
        `| ${l.concurrency} | ${l.floor.throughput} | ${l.floor.p50} / ${l.floor.p99} | ${l.service.throughput} | ${l.service.p50} / ${l.service.p99} | ${l.service.errors} | ${total(f)} / ${total(c)} | ${per(f.temporalServer, l.floor.throughput)} / ${per(c.temporalServer, l.service.throughput)} | ${per(f.floorWorker, l.floor.throughput)} / ${per(c.serviceWorker, l.service.throughput)} | ${per(c.api, l.service.throughput)} |`,
      );
    }
  }
  const w = r.waiting;
  if (w) {
    L.push('', '## Waiting cases', '');
    L.push(
      `- ${w.accepted} of ${w.requested} refund cases started (client, intake start request) in ${(w.fill.wallMs / 1000).toFixed(1)} s (${w.fill.casesPerSecond} cases/s, ${w.fill.errors} errors); ${w.waiting} waiting for approval after ${w.settleSeconds} s.`,
    );
    L.push(
      `- Settle rate ${w.settleRate} cases/s; CPU cores used meanwhile: ${Object.entries(w.settleCpu.cores)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
    );
    L.push(`- Worker RSS vs cases waiting: ${w.rssCurve.map((p) => `${p.waiting}: ${p.rssMiB} MiB`).join(', ')}.`);
    const wt = w.worker.workflowThread;
    L.push(
      `- Worker: RSS ${mib(w.worker.rssBytes)} (peak ${mib(w.worker.peakRssBytes)}); main-thread heap used ${mib(w.worker.heapUsedBytes)} of ${mib(w.worker.heapTotalBytes)}` +
        (wt ? `; workflow-thread heap used ${mib(wt.heapUsedBytes)} (committed ${mib(wt.heapCommittedBytes)})` : '') +
        (w.worker.externalBytes !== undefined ? `; external ${mib(w.worker.externalBytes)}` : '') +
        '.',
    );
    L.push(
      `- Temporal server: RSS ${mib(w.server.rssBytes)}; DB ${mib(w.server.dbBytes)} (before this phase ${mib(w.server.dbBytesBefore)}).`,
    );
    const a = w.approvals;
    L.push(
      `- ${a.count} random approvals (${a.errors} errors): decision -> refund recorded p50 ${a.toRefund.p50} / p95 ${a.toRefund.p95} / p99 ${a.toRefund.p99} ms; -> update answered p99 ${a.toUpdateAnswer.p99} ms; -> case completed p99 ${a.toCompleted.p99} ms.`,
    );
    if (a.stages)
      L.push(
        `- where the decision's time goes (p50 / p99 ms): ${Object.entries(a.stages)
          .map(([k, v]) => `${k} ${v.p50} / ${v.p99}`)
          .join('; ')}.`,
      );
    if (a.inTask)
      L.push(
        `- inside the decision's workflow task (p50 / p99 ms): ${Object.entries(a.inTask)
          // A part the code under test does not have (no reservation in the task since release 5) is left out.
          .filter(([, v]) => v.count > 0)
          .map(([k, v]) => `${k} ${v.p50} / ${v.p99}`)
          .join('; ')}.`,
      );
  }
  if (r.cost) {
    L.push(
      '',
      '## Cost per case',
      '',
      '| case | history events | activities (ordinary + local) | billable actions | of which: start / activity attempts / timers / updates / signals / upserts / marker tasks | harness queries |',
      '| --- | ---: | ---: | ---: | --- | ---: |',
    );
    for (const c of [...r.cost.cases, ...r.cost.floors]) {
      if (!c.cost || !c.available) {
        L.push(`| ${c.name} | unavailable: ${(c.reason ?? '').replace(/\|/g, '/').slice(0, 120)} | | | | |`);
        continue;
      }
      const a = c.cost.actions;
      L.push(
        `| ${c.name} | ${c.cost.historyEvents} | ${c.cost.activityCalls} (${c.cost.activitiesScheduled} + ${c.cost.localActivities}) | ${c.cost.billableActions} | ${a.workflowStart} / ${a.activityAttempts} / ${a.timers} / ${a.updates} / ${a.signals} / ${a.upserts} / ${a.markers} | ${c.extraActions ?? 0} |`,
      );
    }
  }
  if (r.skipped.length) L.push('', '## Not measured', '', ...r.skipped.map((s) => `- ${s}`));
  return `${L.join('\n')}\n`;
}

interface Line {
  label: string;
  color: string;
  dash?: boolean;
  points: [number, number][];
}

function panel(x0: number, title: string, lines: Line[], w = 440, h = 300): string {
  const pad = { l: 56, r: 10, t: 28, b: 40 };
  const xs = lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1])).filter(Number.isFinite);
  if (xs.length === 0) return '';
  const lx = (v: number) => Math.log2(Math.max(1, v));
  const xMin = Math.min(...xs.map(lx));
  const xMax = Math.max(xMin + 1, ...xs.map(lx));
  const yMax = Math.max(1, ...ys) * 1.1;
  const X = (v: number) => x0 + pad.l + ((lx(v) - xMin) / (xMax - xMin)) * (w - pad.l - pad.r);
  const Y = (v: number) => pad.t + (1 - v / yMax) * (h - pad.t - pad.b);
  const out: string[] = [`<text x="${x0 + w / 2}" y="16" text-anchor="middle" font-weight="bold">${title}</text>`];
  out.push(
    `<line x1="${x0 + pad.l}" y1="${h - pad.b}" x2="${x0 + w - pad.r}" y2="${h - pad.b}" stroke="#444"/><line x1="${x0 + pad.l}" y1="${pad.t}" x2="${x0 + pad.l}" y2="${h - pad.b}" stroke="#444"/>`,
  );
  for (const v of [...new Set(xs)].sort((a, b) => a - b))
    out.push(`<text x="${X(v)}" y="${h - pad.b + 14}" text-anchor="middle">${v}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    out.push(
      `<text x="${x0 + pad.l - 4}" y="${Y(v) + 4}" text-anchor="end">${Math.round(v)}</text><line x1="${x0 + pad.l}" y1="${Y(v)}" x2="${x0 + w - pad.r}" y2="${Y(v)}" stroke="#eee"/>`,
    );
  }
  out.push(
    `<text x="${x0 + w / 2}" y="${h - 6}" text-anchor="middle">concurrency (log scale)</text><text x="${x0 + 12}" y="${h / 2}" transform="rotate(-90 ${x0 + 12} ${h / 2})" text-anchor="middle">latency ms</text>`,
  );
  lines.forEach((l, i) => {
    const pts = l.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length)
      out.push(
        `<polyline fill="none" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="5,4"' : ''} points="${pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`,
      );
    for (const p of pts) out.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${l.color}"/>`);
    out.push(
      `<line x1="${x0 + pad.l + 8}" y1="${pad.t + 8 + i * 14}" x2="${x0 + pad.l + 28}" y2="${pad.t + 8 + i * 14}" stroke="${l.color}" stroke-width="2"${l.dash ? ' stroke-dasharray="5,4"' : ''}/><text x="${x0 + pad.l + 32}" y="${pad.t + 12 + i * 14}">${l.label}</text>`,
    );
  });
  return out.join('\n');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

export function svgChart(r: BenchReport): string {
  const ingest: Line[] = r.ingest?.length
    ? [
        { label: 'floor p50', color: COLORS[0], dash: true, points: r.ingest.map((l) => [l.concurrency, l.floor.p50]) },
        { label: 'floor p99', color: COLORS[0], points: r.ingest.map((l) => [l.concurrency, l.floor.p99]) },
        { label: 'webhook p50', color: COLORS[1], dash: true, points: r.ingest.map((l) => [l.concurrency, l.service.p50]) },
        { label: 'webhook p99', color: COLORS[1], points: r.ingest.map((l) => [l.concurrency, l.service.p99]) },
        { label: 'same request, no API p99', color: COLORS[4], points: r.ingest.map((l) => [l.concurrency, l.sameRequest.p99]) },
      ]
    : [];
  const e2e: Line[] = [];
  (r.e2e ?? []).forEach((s, i) => {
    e2e.push({
      label: `floor beside ${s.name} p99`,
      color: COLORS[(2 * i + 2) % COLORS.length],
      dash: true,
      points: s.levels.map((l) => [l.concurrency, l.floor.p99]),
    });
    e2e.push({
      label: `${s.name} p99`,
      color: COLORS[(2 * i + 3) % COLORS.length],
      points: s.levels.map((l) => [l.concurrency, l.service.p99]),
    });
  });
  const body = [panel(0, 'Webhook ingest vs workflow.start', ingest), panel(460, 'End to end vs no-op activities', e2e)].join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="920" height="300" font-family="sans-serif" font-size="11"><rect width="920" height="300" fill="white"/>\n${body}\n</svg>\n`;
}

/** Writes bench-<mode>.json, .md and .svg (and the -latest copies) into `dir`. */
export function writeReport(dir: string, r: BenchReport): { json: string; md: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `bench-${r.mode}`);
  const files = { json: `${base}.json`, md: `${base}.md`, svg: `${base}.svg` };
  fs.writeFileSync(files.json, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(files.md, markdown(r));
  fs.writeFileSync(files.svg, svgChart(r));
  return files;
}
