/**
 * Freshness of a DialNexa delivery. The signature covers the body only and has no timestamp, and
 * the one replay defence is the workflow id (`case-<type>-<call id>`), which Temporal forgets once
 * the namespace's retention has passed. So a delivery whose call ended longer ago than
 * WEBHOOK_MAX_CALL_AGE (default 7 days, always shorter than the retention: loadConfig refuses
 * otherwise, and the API compares it with the namespace's actual retention at start-up) is refused
 * with 422 `stale_call` and counted, whatever its signature. DialNexa retries a failed delivery
 * within hours, far inside the window (docs/production.md, "Freshness and DialNexa's retries").
 */
import { Counter, type Registry } from 'prom-client';
import type { Client } from '@temporalio/client';

/** The call's end (or, without one, its start): what the window is measured from. */
export function callTime(call: { ended_at?: string; started_at?: string; initiated_at?: string }): number | undefined {
  for (const v of [call.ended_at, call.started_at, call.initiated_at]) {
    const t = v ? Date.parse(v) : NaN;
    if (Number.isFinite(t)) return t;
  }
  return undefined;
}

export interface FreshnessCheck {
  /** undefined = fresh enough (or no time on the call); otherwise the message for the 422. */
  (call: { ended_at?: string; started_at?: string; initiated_at?: string }, now: Date): string | undefined;
}

/** The check the webhook route runs after parsing; each refusal is counted in `billing_webhook_stale_calls_total`. */
export function freshnessCheck(maxAgeMs: number, registry?: Registry): FreshnessCheck {
  const refused = new Counter({
    name: 'billing_webhook_stale_calls_total',
    help: 'DialNexa deliveries refused because the call ended longer ago than WEBHOOK_MAX_CALL_AGE (a replay or a very late retry)',
    registers: registry ? [registry] : [],
  });
  return (call, now) => {
    const at = callTime(call);
    if (at === undefined || now.getTime() - at <= maxAgeMs) return undefined;
    refused.inc();
    const days = (ms: number) => `${Math.round((ms / 86_400_000) * 10) / 10} days`;
    return `The call ended ${days(now.getTime() - at)} ago, longer than this service accepts (${days(maxAgeMs)}); nothing was started. A delivery this old is refused as a possible replay.`;
  };
}

/**
 * Start-up check against the namespace Temporal actually has: the window must be shorter than its
 * retention. Throws naming both; a namespace that cannot be described (Temporal Cloud API key
 * without that permission) is reported through `warn` and not refused.
 */
export async function assertWindowWithinRetention(
  client: Client,
  namespace: string,
  maxAgeMs: number,
  warn: (message: string) => void,
): Promise<void> {
  let retentionMs: number;
  try {
    const ns = await client.workflowService.describeNamespace({ namespace });
    const ttl = ns.config?.workflowExecutionRetentionTtl;
    retentionMs = Number(ttl?.seconds ?? 0) * 1000 + Math.floor(Number(ttl?.nanos ?? 0) / 1e6);
  } catch (err) {
    warn(`could not read the retention of namespace ${namespace} to check WEBHOOK_MAX_CALL_AGE against it: ${(err as Error).message}`);
    return;
  }
  if (retentionMs > 0 && maxAgeMs >= retentionMs)
    throw new Error(
      `WEBHOOK_MAX_CALL_AGE (${maxAgeMs / 86_400_000} days) is not shorter than namespace ${namespace}'s retention (${retentionMs / 86_400_000} days): a delivery replayed after Temporal forgot its workflow id would start its case again`,
    );
}
