/**
 * Waiting cases: N refund cases (above the automation limit) brought to "awaiting approval",
 * started with the intake's own start request from a client (the same workflow, input shape,
 * encryption, search attributes and id policies as a webhook; ingest measures the HTTP path
 * separately, and here it would only spend CPU the settling cases need); then the worker's RSS and heap and the server's DB size; then M of them,
 * picked at random, approved with the decide update, timing decision -> refund recorded
 * (QuickBooks RefundReceipt activity completed, from history) and decision -> case completed.
 * The request id comes from the approval message's button in the Slack sandbox, as a click
 * carries it: no query first, so a case evicted from the worker's cache is loaded (replayed)
 * inside the timed decision, as it is when finance clicks.
 */
import { randomInt } from 'node:crypto';
import { CaseStatusKey } from '../../src/temporal/search-attributes';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { decideUpdate } from '../../src/workflows/messages';
import { DecisionAction, type DecisionSubject } from '../../src/domain/decision';
import type { CaseState } from '../../src/domain/case-state';
import { decodeButtonValue } from '../../src/connectors/slack-buttons';
import { temporal } from '@temporalio/proto';
import { refundCaseInput, startLikeIntake } from '../lib/start-request';
import { seedBenchInvoice } from '../lib/calls';
import { cpuMeter, type BenchContext, type CpuShare } from '../lib/context';
import type { ProcStats } from '../lib/ipc';
import { runBatch } from '../lib/load';
import { readProc, readRssSplit } from '../lib/procfs';
import { summarize, type LatencySummary } from '../lib/stats';
import { approval, pendingRequestId } from './cost';

const E = temporal.api.enums.v1.EventType;

export interface WaitingResult {
  requested: number;
  accepted: number;
  waiting: number;
  fill: { wallMs: number; casesPerSecond: number; errors: number; firstError?: string; cpu: CpuShare };
  /** Seconds from the first webhook until every case was waiting (or the budget ran out). */
  settleSeconds: number;
  /** Cases reaching "awaiting approval" per second, first webhook to last case waiting. */
  settleRate: number;
  /** CPU by process from the first webhook until every case waited: what bounds the settle rate. */
  settleCpu: CpuShare;
  /** Worker RSS against the number of cases waiting, sampled while they filled (shows the plateau of the workflow cache). */
  rssCurve: {
    waiting: number;
    rssMiB: number;
    heapUsedMiB: number;
    /** Main thread's V8 heap as committed (heapTotal), the workflow thread's heap, external memory, anonymous/file-backed RSS. */
    heapTotalMiB?: number;
    workflowHeapUsedMiB?: number;
    workflowHeapCommittedMiB?: number;
    externalMiB?: number;
    rssAnonMiB?: number;
    rssFileMiB?: number;
  }[];
  worker: ProcStats & { peakRssBytes: number };
  server: { rssBytes?: number; dbBytes?: number; dbBytesBefore?: number };
  approvals: {
    count: number;
    errors: number;
    firstError?: string;
    /** Decision sent -> the refund recorded (recordMoney activity completed; server event time). */
    toRefund: LatencySummary;
    /** Decision sent -> update answered (the clicker learns the decision counted). */
    toUpdateAnswer: LatencySummary;
    /** Decision sent -> case workflow completed (refund, customer confirmation, notes). */
    toCompleted: LatencySummary;
    /**
     * Where decision -> refund recorded goes, from the case's own history (server event times):
     * sent -> the decision's workflow task scheduled; scheduled -> a worker started it; started ->
     * completed (loading the case, a replay when it was not cached, the update, the reservation);
     * completed (recordMoney scheduled in that task) -> recordMoney completed.
     */
    stages?: Record<'toTaskScheduled' | 'taskQueued' | 'taskRun' | 'recordRun', LatencySummary>;
    /**
     * Inside that workflow task: started -> authorizeDecision scheduled (fetching and replaying the
     * case when it was not cached, the update's validator); -> the task completed (the decision's
     * check, the case going on, the reservation); and reserveMoney scheduled -> the task completed.
     */
    inTask?: Record<'loadAndReplay' | 'decideAndReserve' | 'reserve', LatencySummary>;
    cpu: CpuShare;
  };
}

/** The data payload of a local activity's marker (written by the SDK's core as plain JSON). */
interface LocalMarker {
  activity_type: string;
  original_schedule_time?: { seconds: number; nanos: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Cases started but not yet waiting, at most. */
const BACKLOG = 400;
/**
 * Posting stops this long before the budget ends, so the last cases can settle: a full backlog
 * settles in ~25 s at the 15-20 cases/s this machine reaches (at most a third of a short budget).
 */
const SETTLE_TAIL_MS = 40_000;

/** Workflows of this run's service queue with CaseStatus awaiting_approval (visibility count). */
async function countWaiting(ctx: BenchContext): Promise<number> {
  const { count } = await ctx.serviceClient.workflow.count(
    `TaskQueue = "${ctx.queues.service}" AND WorkflowType = "refundRequest" AND ${CaseStatusKey.name} = "awaiting_approval"`,
  );
  return count;
}

async function listWaiting(ctx: BenchContext): Promise<string[]> {
  const ids: string[] = [];
  const prefix = 'case-refund_request-';
  for await (const wf of ctx.serviceClient.workflow.list({
    query: `TaskQueue = "${ctx.queues.service}" AND ${CaseStatusKey.name} = "awaiting_approval"`,
  })) {
    if (wf.workflowId.startsWith(prefix)) ids.push(wf.workflowId.slice(prefix.length));
  }
  return ids;
}

/** Workflow id -> open request id (and what its Approve button approves), from the messages in the Slack sandbox. */
async function requestIdsFromSlack(ctx: BenchContext): Promise<Map<string, { requestId: string; subject?: DecisionSubject }>> {
  const ids = new Map<string, { requestId: string; subject?: DecisionSubject }>();
  const res = await fetch(`${ctx.sandboxUrl}/_sandbox/slack/state`);
  if (!res.ok) return ids;
  const state = (await res.json()) as { messages?: { blocks?: { type?: string; elements?: { value?: string }[] }[] }[] };
  for (const m of state.messages ?? []) {
    for (const b of m.blocks ?? []) {
      if (b.type !== 'actions') continue;
      for (const el of b.elements ?? []) {
        const v = decodeButtonValue(el.value);
        if (v?.a === DecisionAction.Approve)
          ids.set(v.w, {
            requestId: v.r,
            ...(v.s ? { subject: { amountMinor: v.s.m, currency: v.s.c, ...(v.s.i ? { invoiceId: v.s.i } : {}), kind: v.s.k } } : {}),
          });
      }
    }
  }
  return ids;
}

export async function runWaiting(ctx: BenchContext, budgetMs: number): Promise<WaitingResult> {
  const { waitingCases: n, approvals: m, fillConcurrency, approvalConcurrency } = ctx.sizes;
  const before = await countWaiting(ctx);
  const dbBytesBefore = ctx.server.dbBytes();
  let peakRss = 0;
  let waiting = 0;
  const rssCurve: WaitingResult['rssCurve'] = [];
  const mib = (b: number | undefined) => (b === undefined ? undefined : Math.round(b / 2 ** 20));
  // Main-thread heap, the workflow thread's heap (its own isolate), and external memory, beside RSS.
  const workerPid = ctx.children.serviceWorker.pid;
  const point = (s: ProcStats) => ({
    waiting,
    rssMiB: Math.round(s.rssBytes / 2 ** 20),
    heapUsedMiB: Math.round(s.heapUsedBytes / 2 ** 20),
    heapTotalMiB: mib(s.heapTotalBytes),
    ...(() => {
      const split = workerPid ? readRssSplit(workerPid) : undefined;
      return split ? { rssAnonMiB: mib(split.anonBytes), rssFileMiB: mib(split.fileBytes) } : {};
    })(),
    ...(s.workflowThread
      ? { workflowHeapUsedMiB: mib(s.workflowThread.heapUsedBytes), workflowHeapCommittedMiB: mib(s.workflowThread.heapCommittedBytes) }
      : {}),
    ...(s.externalBytes !== undefined ? { externalMiB: mib(s.externalBytes) } : {}),
  });
  const sample = async () => {
    const s = await ctx.children.serviceWorker.stats();
    peakRss = Math.max(peakRss, s.rssBytes);
    rssCurve.push(point(s));
    const p = rssCurve[rssCurve.length - 1];
    ctx.progress(
      `  memory at ${waiting} waiting: RSS ${p.rssMiB} MiB (anon ${p.rssAnonMiB ?? '?'}, file ${p.rssFileMiB ?? '?'}), main heap ${p.heapUsedMiB} of ${p.heapTotalMiB}, workflow thread heap ${p.workflowHeapUsedMiB ?? '?'} of ${p.workflowHeapCommittedMiB ?? '?'}, external ${p.externalMiB ?? '?'}`,
    );
  };
  const sampler = setInterval(() => void sample().catch(() => undefined), 5000);
  const settleMeter = cpuMeter(ctx);
  const t0 = Date.now();
  const template = refundCaseInput(`${ctx.tag}w`);
  const callIds: string[] = [];
  ctx.progress(`waiting: starting ${n} refund cases that need approval from a client (concurrency ${fillConcurrency})`);
  const stopPostingAt = t0 + budgetMs - Math.min(SETTLE_TAIL_MS, budgetMs / 3);
  let cpu = cpuMeter(ctx);
  // Paced: at most BACKLOG cases posted but not yet waiting. Posting far ahead of what the worker
  // settles only builds a queue of half-run cases that then compete with the approvals.
  let counting = true;
  const counter = (async () => {
    while (counting) {
      waiting = (await countWaiting(ctx).catch(() => waiting + before)) - before;
      await sleep(1000);
    }
  })();
  const fill = await runBatch(
    n,
    fillConcurrency,
    async (i) => {
      while (callIds.length - waiting > BACKLOG && Date.now() < stopPostingAt) await sleep(200);
      const callId = `call_b${ctx.tag}w${i.toString(36)}`;
      await startLikeIntake(ctx.serviceClient, ctx.queues.service, template, callId, { ownInvoice: true });
      callIds.push(callId);
    },
    (done) => ctx.progress(`  started ${done}/${n}, ${waiting} waiting`),
    // Stop posting when only the settling tail of the budget is left: the report says how far it got.
    () => Date.now() > stopPostingAt,
  );
  counting = false;
  await counter;
  const fillCpu = cpu();
  waiting = (await countWaiting(ctx)) - before;
  const end = t0 + budgetMs;
  while (waiting < callIds.length && Date.now() < end) {
    ctx.progress(`  waiting for approval: ${waiting}/${callIds.length}`);
    await sleep(2000);
    waiting = (await countWaiting(ctx)) - before;
  }
  const settleCpu = settleMeter();
  const settleSeconds = Math.round((Date.now() - t0) / 100) / 10;
  ctx.progress(`  ${waiting} cases waiting after ${settleSeconds} s`);
  // Let the worker finish its last tasks, then read memory as it stands with every case parked.
  await sleep(3000);
  const worker = await ctx.children.serviceWorker.stats();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, worker.rssBytes);
  rssCurve.push(point(worker));
  const server = {
    rssBytes: ctx.server.pid ? readProc(ctx.server.pid)?.rssBytes : undefined,
    dbBytes: ctx.server.dbBytes(),
    dbBytesBefore,
  };
  ctx.progress(
    `  worker RSS ${(worker.rssBytes / 2 ** 20).toFixed(0)} MiB (peak ${(peakRss / 2 ** 20).toFixed(0)}), heap ${(worker.heapUsedBytes / 2 ** 20).toFixed(0)} MiB, workflow thread heap ${mib(worker.workflowThread?.heapUsedBytes) ?? '?'} MiB (committed ${mib(worker.workflowThread?.heapCommittedBytes) ?? '?'}); DB ${server.dbBytes !== undefined ? (server.dbBytes / 2 ** 20).toFixed(0) + ' MiB' : 'n/a'}`,
  );

  // Random distinct cases among those waiting (partial Fisher-Yates), so no approval waits for a case to settle.
  const pool = await listWaiting(ctx);
  const picked: string[] = [];
  for (let i = 0; i < Math.min(m, pool.length); i++) {
    const j = i + randomInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
    picked.push(pool[i]);
  }
  const fromSlack = await requestIdsFromSlack(ctx);
  ctx.progress(
    `waiting: approving ${picked.length} random cases (concurrency ${approvalConcurrency}); request ids from ${fromSlack.size} approval messages in Slack`,
  );
  const toRefund: number[] = [];
  const toUpdate: number[] = [];
  const toCompleted: number[] = [];
  const stageNames = ['toTaskScheduled', 'taskQueued', 'taskRun', 'recordRun'] as const;
  const stages = Object.fromEntries(stageNames.map((k) => [k, [] as number[]])) as Record<(typeof stageNames)[number], number[]>;
  const taskNames = ['loadAndReplay', 'decideAndReserve', 'reserve'] as const;
  const task = Object.fromEntries(taskNames.map((k) => [k, [] as number[]])) as Record<(typeof taskNames)[number], number[]>;
  cpu = cpuMeter(ctx);
  const run = await runBatch(
    picked.length,
    approvalConcurrency,
    async (i) => {
      const workflowId = caseWorkflowId(picked[i], 'refund_request');
      const handle = ctx.serviceClient.workflow.getHandle<() => Promise<CaseState>>(workflowId);
      // From the message's button, as a click carries it; a query only if the message is missing.
      const { requestId, subject } = fromSlack.get(workflowId) ?? (await pendingRequestId(handle, 30_000));
      // Its invoice appears only now (the case was told at start it was not found, and waits for a person):
      // seeding 10,000 invoices up front would slow every sandbox look-up of the fill.
      await seedBenchInvoice(ctx.sandboxUrl, picked[i], 45000);
      const sentAt = Date.now();
      await handle.executeUpdate(decideUpdate, { args: [approval(ctx, workflowId, requestId, subject)] });
      const answeredAt = Date.now();
      const state = await handle.result();
      const doneAt = Date.now();
      if (state.status !== 'completed') throw new Error(`case ended ${state.status}: ${state.reason ?? ''}`);
      toUpdate.push(answeredAt - sentAt);
      toCompleted.push(doneAt - sentAt);
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.find(
        (e) =>
          e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
          ['recordMoney', 'moveMoney'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''),
      );
      const completed =
        scheduled &&
        events.find(
          (e) =>
            e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
            String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled.eventId),
        );
      const ms = (e?: (typeof events)[number]) =>
        e?.eventTime ? Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6) : undefined;
      if (completed?.eventTime) toRefund.push((ms(completed) as number) - sentAt);
      // The decision's workflow task: the last one before the update was accepted.
      const accepted = events.findIndex((e) => e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
      const before = (t: (typeof E)[keyof typeof E]) =>
        events
          .slice(0, accepted)
          .reverse()
          .find((e) => e.eventType === t);
      const t = [
        sentAt,
        ms(before(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)),
        ms(before(E.EVENT_TYPE_WORKFLOW_TASK_STARTED)),
        ms(before(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)),
        ms(completed),
      ];
      // Inside that task: when the update's first local activity (authorizeDecision) was scheduled,
      // from its marker (the SDK's core writes that time from the worker's clock, as plain JSON; its
      // complete_time is the task's workflow time, so it cannot time the activity itself).
      const markers = events
        .slice(accepted)
        .map((e) => e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data)
        .map((d) => (d ? (JSON.parse(Buffer.from(d).toString('utf8')) as LocalMarker) : undefined));
      const scheduledAt = (type: string) => {
        const at = markers.find((m) => m?.activity_type === type)?.original_schedule_time;
        return at ? at.seconds * 1000 + Math.floor(at.nanos / 1e6) : undefined;
      };
      const authorizeAt = scheduledAt('authorizeDecision');
      if (authorizeAt !== undefined && t[2] !== undefined && t[3] !== undefined) {
        task.loadAndReplay.push(authorizeAt - t[2]);
        task.decideAndReserve.push(t[3] - authorizeAt);
        // The reservation's share: its local activity scheduled -> the task completed (none when it runs in recordMoney).
        const reserveAt = scheduledAt('reserveMoney');
        if (reserveAt !== undefined) task.reserve.push(t[3] - reserveAt);
      }
      if (accepted > 0 && t.every((x) => x !== undefined))
        stageNames.forEach((k, j) => stages[k].push((t[j + 1] as number) - (t[j] as number)));
    },
    (done) => ctx.progress(`  approved ${done}/${picked.length}`),
  );
  const approvalCpu = cpu();
  const window = run.wallMs;
  return {
    requested: n,
    accepted: callIds.length,
    waiting,
    fill: {
      wallMs: Math.round(fill.wallMs),
      casesPerSecond: Math.round((callIds.length * 10000) / fill.wallMs) / 10,
      errors: fill.errors.length,
      ...(fill.errors[0] ? { firstError: fill.errors[0] } : {}),
      cpu: fillCpu,
    },
    settleSeconds,
    settleRate: Math.round((waiting / Math.max(0.1, settleSeconds)) * 10) / 10,
    settleCpu,
    rssCurve,
    worker: { ...worker, peakRssBytes: peakRss },
    server,
    approvals: {
      count: picked.length,
      errors: run.errors.length,
      ...(run.errors[0] ? { firstError: run.errors[0] } : {}),
      toRefund: summarize(toRefund, 0, window),
      toUpdateAnswer: summarize(toUpdate, 0, window),
      toCompleted: summarize(toCompleted, run.errors.length, window),
      stages: Object.fromEntries(stageNames.map((k) => [k, summarize(stages[k], 0, window)])) as NonNullable<
        WaitingResult['approvals']['stages']
      >,
      inTask: Object.fromEntries(taskNames.map((k) => [k, summarize(task[k], 0, window)])) as NonNullable<
        WaitingResult['approvals']['inTask']
      >,
      cpu: approvalCpu,
    },
  };
}
