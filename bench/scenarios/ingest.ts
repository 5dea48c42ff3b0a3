/**
 * Webhook ingest against its floor, level by level: signed POST /webhooks/dialnexa until the 202
 * (case started) beside a bare client.workflow.start of a trivial workflow, and beside the intake's
 * own start request sent from a client (no HTTP API), interleaved. All three start workflows on
 * task queues no worker polls, so no measurement pays for workflows running meanwhile: this is
 * the start path alone.
 */
import { buildCall, CallKind, postCall } from '../lib/calls';
import { sliceMeter, type BenchContext, type CpuShare } from '../lib/context';
import { runInterleaved, type LoadResult } from '../lib/load';
import { refundCaseInput, startLikeIntake } from '../lib/start-request';

type Series = 'floor' | 'webhook' | 'sameRequest';

export interface LevelResult {
  concurrency: number;
  floor: LoadResult & { cpu: CpuShare };
  service: LoadResult & { cpu: CpuShare };
  /** The intake's start request sent straight from a client (no HTTP API): splits the webhook's cost. */
  sameRequest: LoadResult & { cpu: CpuShare };
}

export async function runIngest(ctx: BenchContext): Promise<LevelResult[]> {
  const out: LevelResult[] = [];
  const { windowMs, warmupMs, rounds } = ctx.sizes;
  const template = refundCaseInput(ctx.tag);
  for (const c of ctx.sizes.ingestLevels) {
    ctx.progress(`ingest: concurrency ${c}: floor / webhook / same request, ${rounds} interleaved round(s)`);
    const meter = sliceMeter<Series>(ctx, `ingest c=${c}`);
    const r = await runInterleaved<Series>(
      [
        {
          key: 'floor',
          op: async (seq) => {
            await ctx.floorClient.workflow.start('benchTrivial', {
              taskQueue: ctx.queues.floorUnpolled,
              workflowId: `floor-ingest-${ctx.tag}-${seq}`,
            });
          },
        },
        {
          key: 'webhook',
          op: async (seq) => {
            await postCall(ctx.ingestApiUrl, ctx.webhookSecret, buildCall(CallKind.ReviewRefund, `${ctx.tag}i`, seq).raw);
          },
        },
        {
          key: 'sameRequest',
          op: (seq) => startLikeIntake(ctx.serviceClient, ctx.queues.serviceUnpolled, template, `call_b${ctx.tag}s${seq.toString(36)}`),
        },
      ],
      { concurrency: c, durationMs: windowMs, warmupMs, rounds },
      meter.around,
    );
    for (const k of ['floor', 'webhook', 'sameRequest'] as const)
      ctx.progress(
        `  ${k}: ${r[k].throughput}/s p50 ${r[k].p50} ms p99 ${r[k].p99} ms${r[k].errors ? ` (${r[k].errors} errors: ${r[k].firstError})` : ''}`,
      );
    out.push({
      concurrency: c,
      floor: { ...r.floor, cpu: meter.cpu('floor') },
      service: { ...r.webhook, cpu: meter.cpu('webhook') },
      sameRequest: { ...r.sameRequest, cpu: meter.cpu('sameRequest') },
    });
  }
  return out;
}
