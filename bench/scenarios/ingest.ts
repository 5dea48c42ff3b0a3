/**
 * Webhook ingest against its floor, level by level: signed POST /webhooks/dialnexa until the 202
 * (case started) beside a bare client.workflow.start of a trivial workflow. Both start workflows
 * on task queues no worker polls, so neither measurement pays for workflows running meanwhile:
 * this is the start path alone, API + Temporal.
 */
import { buildCall, CallKind, postCall } from '../lib/calls';
import { cpuMeter, type BenchContext, type CpuShare } from '../lib/context';
import { runClosedLoop } from '../lib/load';
import { refundCaseInput, startLikeIntake } from '../lib/start-request';
import type { LatencySummary } from '../lib/stats';

export interface LevelResult {
  concurrency: number;
  floor: LatencySummary & { firstError?: string; cpu: CpuShare };
  service: LatencySummary & { firstError?: string; cpu: CpuShare };
  /** The intake's start request sent straight from a client (no HTTP API): splits the webhook's cost. */
  sameRequest: LatencySummary & { firstError?: string; cpu: CpuShare };
}

export async function runIngest(ctx: BenchContext): Promise<LevelResult[]> {
  const out: LevelResult[] = [];
  const { windowMs, warmupMs } = ctx.sizes;
  const template = refundCaseInput(ctx.tag);
  for (const c of ctx.sizes.ingestLevels) {
    const progress = (what: string) => (done: number, errors: number) => ctx.progress(`  ingest c=${c} ${what}: ${done} done${errors ? `, ${errors} errors` : ''}`);
    ctx.progress(`ingest: concurrency ${c}, floor (client.workflow.start)`);
    let cpu = cpuMeter(ctx);
    const floor = await runClosedLoop(
      async (seq) => {
        await ctx.floorClient.workflow.start('benchTrivial', { taskQueue: ctx.queues.floorUnpolled, workflowId: `floor-ingest-${ctx.tag}-${c}-${seq}` });
      },
      { concurrency: c, durationMs: windowMs, warmupMs, onProgress: progress('floor') },
    );
    const floorCpu = cpu();
    ctx.progress(`  floor: ${floor.throughput}/s p50 ${floor.p50} ms p99 ${floor.p99} ms`);
    ctx.progress(`ingest: concurrency ${c}, service (signed webhook to 202)`);
    cpu = cpuMeter(ctx);
    const service = await runClosedLoop(
      async (seq) => {
        await postCall(ctx.ingestApiUrl, ctx.webhookSecret, buildCall(CallKind.ReviewRefund, `${ctx.tag}i${c}x`, seq).raw);
      },
      { concurrency: c, durationMs: windowMs, warmupMs, onProgress: progress('webhook') },
    );
    const serviceCpu = cpu();
    ctx.progress(`  webhook: ${service.throughput}/s p50 ${service.p50} ms p99 ${service.p99} ms`);
    ctx.progress(`ingest: concurrency ${c}, the intake's start request from a client (no API)`);
    cpu = cpuMeter(ctx);
    const same = await runClosedLoop((seq) => startLikeIntake(ctx.serviceClient, ctx.queues.serviceUnpolled, template, `call_b${ctx.tag}s${c}x${seq.toString(36)}`), {
      concurrency: c,
      durationMs: windowMs,
      warmupMs,
      onProgress: progress('same request'),
    });
    const sameCpu = cpu();
    ctx.progress(`  same request: ${same.throughput}/s p50 ${same.p50} ms p99 ${same.p99} ms`);
    out.push({ concurrency: c, floor: { ...floor, cpu: floorCpu }, service: { ...service, cpu: serviceCpu }, sameRequest: { ...same, cpu: sameCpu } });
  }
  return out;
}
