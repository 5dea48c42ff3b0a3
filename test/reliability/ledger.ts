/**
 * Money actions counted from what the sandbox RECORDED (every request that reached the fake APIs),
 * not from what the service says it did. A write counts as applied when the handler ran (no
 * injected 5xx/429), whether or not its response reached the caller (dropped responses count).
 *
 * - QuickBooks replays a repeated `requestid` without writing, so its effects are the distinct
 *   requestids among applied writes.
 * - Skyfire has no idempotency key: every applied token POST creates a token.
 * Each effect is attributed to a case by the call id found in the request (note, buyerTag).
 */
import type { SandboxRecord } from '../support/service';

export type MoneyKind = 'refund_receipt' | 'credit_memo' | 'invoice_send' | 'pay_token';

export interface MoneyEffect {
  kind: MoneyKind;
  callId?: string;
  key: string;
  seq: number;
}

const QBO_WRITE: [RegExp, MoneyKind][] = [
  [/\/v3\/company\/[^/]+\/refundreceipt$/i, 'refund_receipt'],
  [/\/v3\/company\/[^/]+\/creditmemo$/i, 'credit_memo'],
  [/\/v3\/company\/[^/]+\/invoice\/[^/]+\/send$/i, 'invoice_send'],
];

const applied = (r: SandboxRecord) =>
  r.method === 'POST' && !r.faulted && (r.dropped === true || (r.status !== undefined && r.status < 300));

/** Every money effect in the records; `callIds` attributes each to the first call id it mentions. */
export function moneyEffects(records: SandboxRecord[], callIds: string[]): MoneyEffect[] {
  // Whole ids only: call_x_1 must not match inside call_x_10.
  const patterns = callIds.map(
    (id) => [id, new RegExp(`(?<![A-Za-z0-9_])${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`)] as const,
  );
  const attribute = (r: SandboxRecord): string | undefined => {
    const text = JSON.stringify([r.path, r.query, r.body]);
    return patterns.find(([, re]) => re.test(text))?.[0];
  };
  const seenQbo = new Set<string>();
  const effects: MoneyEffect[] = [];
  for (const r of records) {
    if (!applied(r)) continue;
    if (r.system === 'quickbooks') {
      const kind = QBO_WRITE.find(([re]) => re.test(r.path))?.[1];
      if (!kind) continue;
      const rid = typeof r.query.requestid === 'string' ? r.query.requestid : `no-requestid-${r.seq}`;
      if (seenQbo.has(`${kind}:${rid}`)) continue; // a replay: QuickBooks wrote nothing
      seenQbo.add(`${kind}:${rid}`);
      effects.push({ kind, callId: attribute(r), key: rid, seq: r.seq });
    } else if (r.system === 'skyfire' && /\/api\/v1\/tokens$/.test(r.path)) {
      const body = (r.body ?? {}) as { type?: string; buyerTag?: string };
      if (body.type !== 'pay' && body.type !== 'kya+pay') continue;
      effects.push({ kind: 'pay_token', callId: attribute(r), key: String(body.buyerTag), seq: r.seq });
    }
  }
  return effects;
}

export interface MoneySummary {
  byKind: Record<MoneyKind, number>;
  /** Cases (call id + kind) with more than one effect: must be empty. */
  duplicates: { callId: string; kind: MoneyKind; count: number }[];
  /** Effects that no known call id explains: must be zero. */
  unattributed: number;
}

export function summarize(effects: MoneyEffect[]): MoneySummary {
  const byKind: Record<MoneyKind, number> = { refund_receipt: 0, credit_memo: 0, invoice_send: 0, pay_token: 0 };
  const perCase = new Map<string, number>();
  let unattributed = 0;
  for (const e of effects) {
    byKind[e.kind]++;
    if (!e.callId) {
      unattributed++;
      continue;
    }
    const k = `${e.callId}|${e.kind}`;
    perCase.set(k, (perCase.get(k) ?? 0) + 1);
  }
  const duplicates = [...perCase.entries()]
    .filter(([, n]) => n > 1)
    .map(([k, count]) => {
      const [callId, kind] = k.split('|') as [string, MoneyKind];
      return { callId, kind, count };
    });
  return { byKind, duplicates, unattributed };
}

/** Distinct call ids that got at least one effect of `kind`. */
export function casesWith(effects: MoneyEffect[], kind: MoneyKind): Set<string> {
  return new Set(effects.filter((e) => e.kind === kind && e.callId).map((e) => e.callId as string));
}
