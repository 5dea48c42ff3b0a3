/** PostgreSQL rows of the ledger's tables as the ledger's types (bigint and timestamptz come back as strings and Dates). */
import type { EntryState, EntryKind, EntryRoute, TokenStage, LedgerEntry, LedgerHold } from './entries';

export type Row = Record<string, unknown>;
export const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
export const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v));

export function toEntry(r: Row): LedgerEntry {
  return {
    key: String(r.key),
    ref: String(r.ref),
    realm: String(r.realm),
    customerId: String(r.customer_id),
    invoiceId: (r.invoice_id as string | null) ?? null,
    invoiceDoc: (r.invoice_doc as string | null) ?? null,
    caseId: String(r.case_id),
    step: String(r.step),
    kind: r.kind as EntryKind,
    route: r.route as EntryRoute,
    currency: String(r.currency),
    amountMinor: num(r.amount_minor),
    refundableMinor: r.refundable_minor === null ? null : num(r.refundable_minor),
    openBalanceMinor: r.open_balance_minor === null || r.open_balance_minor === undefined ? null : num(r.open_balance_minor),
    state: r.state as EntryState,
    settledMinor: num(r.settled_minor),
    tokenStage: r.token_stage as TokenStage,
    tokenAttempt: num(r.token_attempt),
    payTokenId: (r.pay_token_id as string | null) ?? null,
    chargeDeadline: iso(r.charge_deadline),
    recordEntity: (r.record_entity as string | null) ?? null,
    recordId: (r.record_id as string | null) ?? null,
    evidence: (r.evidence as string | null) ?? null,
    chargeId: (r.charge_id as string | null | undefined) ?? null,
    refundId: (r.refund_id as string | null | undefined) ?? null,
    refundStatus: (r.refund_status as string | null | undefined) ?? null,
    createdAt: iso(r.created_at) ?? '',
    updatedAt: iso(r.updated_at) ?? '',
  };
}

export function toHold(r: Row): LedgerHold {
  return {
    id: num(r.id),
    realm: String(r.realm),
    customerId: String(r.customer_id),
    finding: String(r.finding),
    detail: String(r.detail),
    createdAt: iso(r.created_at) ?? '',
  };
}
