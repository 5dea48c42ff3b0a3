/**
 * End to end against its floor: from the signed webhook until the case's workflow completed
 * (sandbox latency zero), beside a workflow with the same number of no-op activities started by a
 * bare client. Cases per second and completion-time percentiles at each concurrency.
 */
import type { CaseState } from '../../src/workflows/messages';
import { buildCall, CallKind, postCall } from '../lib/calls';
import { cpuMeter, type BenchContext, type CpuShare } from '../lib/context';
import { runClosedLoop } from '../lib/load';
import type { LatencySummary } from '../lib/stats';

export class CaseNotCompletedError extends Error {
  override name = 'CaseNotCompletedError';
}

export interface E2ESeries {
  name: string;
  kind: CallKind;
  activities: number;
  levels: { concurrency: number; floor: LatencySummary & { firstError?: string; cpu: CpuShare }; service: LatencySummary & { firstError?: string; cpu: CpuShare } }[];
}

export async function runE2E(ctx: BenchContext, series: { name: string; kind: CallKind; activities: number }[]): Promise<E2ESeries[]> {
  const out: E2ESeries[] = [];
  const { windowMs, warmupMs } = ctx.sizes;
  // Zero added latency in every sandboxed system: the case's own cost, not the vendors'.
  await fetch(`${ctx.sandboxUrl}/_sandbox/faults/all`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 0 }) }).catch(() => undefined);
  for (const s of series) {
    const result: E2ESeries = { ...s, levels: [] };
    for (const c of ctx.sizes.e2eLevels) {
      ctx.progress(`e2e ${s.name}: concurrency ${c}, floor (${s.activities} no-op activities)`);
      let cpu = cpuMeter(ctx);
      const floor = await runClosedLoop(
        async (seq) => {
          await ctx.floorClient.workflow.execute('benchActivities', { taskQueue: ctx.queues.floor, workflowId: `floor-e2e-${ctx.tag}-${s.kind}-${c}-${seq}`, args: [s.activities] });
        },
        { concurrency: c, durationMs: windowMs, warmupMs },
      );
      const floorCpu = cpu();
      ctx.progress(`  floor: ${floor.throughput}/s p99 ${floor.p99} ms`);
      ctx.progress(`e2e ${s.name}: concurrency ${c}, service (webhook to completed case)`);
      cpu = cpuMeter(ctx);
      const service = await runClosedLoop(
        async (seq) => {
          const accepted = await postCall(ctx.apiUrl, ctx.webhookSecret, buildCall(s.kind, `${ctx.tag}e${c}x`, seq).raw);
          const state = await ctx.serviceClient.workflow.getHandle<() => Promise<CaseState>>(accepted.cases[0].workflowId).result();
          if (state.status !== 'completed') throw new CaseNotCompletedError(`case ended ${state.status}: ${state.reason ?? ''}`);
        },
        { concurrency: c, durationMs: windowMs, warmupMs },
      );
      const serviceCpu = cpu();
      ctx.progress(`  service: ${service.throughput}/s p99 ${service.p99} ms${service.errors ? ` (${service.errors} errors: ${service.firstError})` : ''}`);
      result.levels.push({ concurrency: c, floor: { ...floor, cpu: floorCpu }, service: { ...service, cpu: serviceCpu } });
    }
    out.push(result);
  }
  return out;
}
