/**
 * End to end against its floor: from the signed webhook until the case's workflow completed
 * (sandbox latency zero), beside a workflow with the same number of no-op activities started by a
 * bare client, interleaved. Cases per second and completion-time percentiles at each concurrency.
 */
import type { CaseState } from '../../src/domain/case-state';
import { buildCall, CallKind, postCall, seedBenchInvoice } from '../lib/calls';
import { sliceMeter, type BenchContext, type CpuShare } from '../lib/context';
import { runInterleaved, type LoadResult } from '../lib/load';

export class CaseNotCompletedError extends Error {
  override name = 'CaseNotCompletedError';
}

export interface E2ESeries {
  name: string;
  kind: CallKind;
  activities: number;
  levels: { concurrency: number; floor: LoadResult & { cpu: CpuShare }; service: LoadResult & { cpu: CpuShare } }[];
}

export async function runE2E(ctx: BenchContext, series: { name: string; kind: CallKind; activities: number }[]): Promise<E2ESeries[]> {
  const out: E2ESeries[] = [];
  const { e2eWindowMs, e2eWarmupMs, rounds } = ctx.sizes;
  // Zero added latency in every sandboxed system: the case's own cost, not the vendors'.
  const reset = await fetch(`${ctx.sandboxUrl}/_sandbox/faults/all`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs: 0 }),
  });
  if (!reset.ok) throw new Error(`sandbox refused the latency reset: ${reset.status}`);
  for (const s of series) {
    const result: E2ESeries = { ...s, levels: [] };
    for (const c of ctx.sizes.e2eLevels) {
      ctx.progress(`e2e ${s.name}: concurrency ${c}: floor (${s.activities} no-op activities) / service (webhook to completed case)`);
      const meter = sliceMeter<'floor' | 'service'>(ctx, `e2e ${s.name} c=${c}`);
      const r = await runInterleaved<'floor' | 'service'>(
        [
          {
            key: 'floor',
            op: async (seq) => {
              await ctx.floorClient.workflow.execute('benchActivities', {
                taskQueue: ctx.queues.floor,
                workflowId: `floor-e2e-${ctx.tag}-${seq}`,
                args: [s.activities],
              });
            },
          },
          {
            key: 'service',
            op: async (seq) => {
              const call = buildCall(s.kind, `${ctx.tag}e`, seq);
              if (s.kind === CallKind.AutoRefund) await seedBenchInvoice(ctx.sandboxUrl, call.callId);
              const accepted = await postCall(ctx.apiUrl, ctx.webhookSecret, call.raw);
              const state = await ctx.serviceClient.workflow.getHandle<() => Promise<CaseState>>(accepted.cases[0].workflowId).result();
              if (state.status !== 'completed') throw new CaseNotCompletedError(`case ended ${state.status}: ${state.reason ?? ''}`);
            },
          },
        ],
        { concurrency: c, durationMs: e2eWindowMs, warmupMs: e2eWarmupMs, rounds },
        meter.around,
      );
      for (const k of ['floor', 'service'] as const)
        ctx.progress(
          `  ${k}: ${r[k].throughput}/s p50 ${r[k].p50} ms p99 ${r[k].p99} ms${r[k].errors ? ` (${r[k].errors} errors: ${r[k].firstError})` : ''}`,
        );
      result.levels.push({
        concurrency: c,
        floor: { ...r.floor, cpu: meter.cpu('floor') },
        service: { ...r.service, cpu: meter.cpu('service') },
      });
    }
    out.push(result);
  }
  return out;
}
