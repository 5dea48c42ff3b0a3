/**
 * Gauges for "cases waiting for a decision, and how long", computed from visibility when
 * Prometheus scrapes (Temporal holds the truth; no counter to drift after a restart):
 *   billing_cases_waiting{case_type}                  running cases with an open approval request
 *   billing_cases_waiting_older_than{older_than}      of those, started more than 1h/4h/24h/72h ago
 * Age is counted from the case's start (StartTime is what visibility can filter on; the request
 * opens seconds after the start for most cases). One count query per case type and per threshold,
 * at most once per `cacheMs`; a failed read keeps the last values and counts the error.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Client } from '@temporalio/client';
import { CASE_TYPES } from '../domain/case';
import { CaseTypeKey } from '../temporal/search-attributes';
import { waitingCasesQuery } from './waiting';

export const WAITING_METRIC = 'billing_cases_waiting';
export const WAITING_OLDER_THAN_METRIC = 'billing_cases_waiting_older_than';
/** The age thresholds, as label value and milliseconds. */
export const WAITING_AGE_THRESHOLDS: readonly [string, number][] = [
  ['1h', 3_600_000],
  ['4h', 4 * 3_600_000],
  ['24h', 24 * 3_600_000],
  ['72h', 72 * 3_600_000],
];

export interface WaitingMetricsOptions {
  /** Visibility is read at most this often (scrapes in between get the last values). */
  cacheMs?: number;
  /** Deadline of one refresh. */
  timeoutMs?: number;
  now?: () => Date;
}

/** Registers the gauges on `registry` (once; a second call on the same registry is a no-op). */
export function registerWaitingMetrics(registry: Registry, client: Client, opts: WaitingMetricsOptions = {}): void {
  if (registry.getSingleMetric(WAITING_METRIC)) return;
  const now = opts.now ?? (() => new Date());
  const errors = new Counter({
    name: 'billing_waiting_metrics_errors_total',
    help: 'Failed visibility reads behind the waiting-case gauges',
    registers: [registry],
  });
  let last = 0;
  let refreshing: Promise<void> | undefined;
  const byType = new Map<string, number>();
  const byAge = new Map<string, number>();

  const refresh = async () => {
    const base = waitingCasesQuery();
    const at = now().getTime();
    const count = (q: string) =>
      client.withDeadline(Date.now() + (opts.timeoutMs ?? 3000), () => client.workflow.count(q)).then((r) => r.count);
    const [types, ages] = await Promise.all([
      Promise.all(CASE_TYPES.map((t) => count(`${base} AND ${CaseTypeKey.name} = '${t}'`))),
      Promise.all(WAITING_AGE_THRESHOLDS.map(([, ms]) => count(`${base} AND StartTime < '${new Date(at - ms).toISOString()}'`))),
    ]);
    CASE_TYPES.forEach((t, i) => byType.set(t, types[i]));
    WAITING_AGE_THRESHOLDS.forEach(([label], i) => byAge.set(label, ages[i]));
    last = Date.now();
  };
  const fresh = async () => {
    if (Date.now() - last < (opts.cacheMs ?? 15_000)) return;
    refreshing ??= refresh()
      .catch(() => errors.inc())
      .finally(() => (refreshing = undefined));
    await refreshing;
  };

  new Gauge({
    name: WAITING_METRIC,
    help: 'Running cases waiting for a decision (an open approval request), by case type',
    labelNames: ['case_type'] as const,
    registers: [registry],
    async collect() {
      await fresh();
      for (const [t, n] of byType) this.set({ case_type: t }, n);
    },
  });
  new Gauge({
    name: WAITING_OLDER_THAN_METRIC,
    help: 'Cases waiting for a decision that started longer ago than `older_than`',
    labelNames: ['older_than'] as const,
    registers: [registry],
    async collect() {
      await fresh();
      for (const [label, n] of byAge) this.set({ older_than: label }, n);
    },
  });
}
