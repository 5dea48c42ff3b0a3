/**
 * Decision proofs (docs/product.md §5): a decision counts only when it arrived through an authenticated
 * path. The API, after checking Slack's signature (or the operator API token), signs the decision
 * with the decision key; the worker's gate activity verifies it before the workflow counts it and
 * the money path verifies every vote again before money moves. The key lives in the API's and the
 * worker's configuration only: it never enters workflow history, so someone who can reach the
 * Temporal namespace (the Web UI's signal button, the CLI) can send a decision but cannot prove it.
 *
 * What is signed binds the decision to one case and one approval request, so a proof copied from
 * history cannot approve anything else; the same proof again is the same vote (counted once).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApprovalVote, Decision, DecisionProof, SignedDecision } from '../domain/decision';

const FORMAT = 'dialnexa-billing-decision';

/** How long a fresh proof is accepted for a new decision (clock skew between API and worker included). */
export const DECISION_PROOF_MAX_AGE_MS = 10 * 60_000;

function signedText(workflowId: string, d: Decision, issuedAt: string): string {
  // A hand-off's target is signed after the rest, and only when there is one: proofs made before
  // hand-offs existed (votes days old, verified again when money moves) keep their text.
  return JSON.stringify([
    FORMAT,
    1,
    workflowId,
    d.requestId,
    d.action,
    d.actor.id,
    d.actor.name ?? null,
    d.reason ?? null,
    d.caseType ?? null,
    d.source,
    d.via ?? null,
    issuedAt,
    ...(d.handTo !== undefined ? [d.handTo] : []),
    // What a money approval was for: last, and only when there is one (older proofs keep their text).
    ...(d.subject ? [['subject', d.subject.amountMinor, d.subject.currency, d.subject.invoiceId ?? null, d.subject.kind]] : []),
  ]);
}

function mac(key: string, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}

/** Only the fields a decision has: anything else a caller adds is dropped before signing and before counting. */
export function decisionClaims(d: Decision): Decision {
  return {
    requestId: d.requestId,
    action: d.action,
    actor: { id: d.actor.id, ...(d.actor.name ? { name: d.actor.name } : {}) },
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.caseType ? { caseType: d.caseType } : {}),
    ...(typeof d.handTo === 'string' ? { handTo: d.handTo } : {}),
    ...(d.subject && typeof d.subject === 'object'
      ? {
          subject: {
            amountMinor: Number(d.subject.amountMinor),
            currency: String(d.subject.currency),
            ...(d.subject.invoiceId !== undefined ? { invoiceId: String(d.subject.invoiceId) } : {}),
            kind: String(d.subject.kind),
          },
        }
      : {}),
    source: d.source,
    ...(d.via ? { via: d.via } : {}),
  };
}

export function signDecision(key: string, workflowId: string, d: Decision, now: Date = new Date()): SignedDecision {
  const claims = decisionClaims(d);
  const issuedAt = now.toISOString();
  const proof: DecisionProof = { v: 1, issuedAt, mac: mac(key, signedText(workflowId, claims, issuedAt)) };
  return { ...claims, proof };
}

/** A recorded vote as the decision it was signed as (the request id is the request's, not the vote's). */
export function voteAsDecision(requestId: string, v: ApprovalVote): SignedDecision {
  return {
    requestId,
    action: v.action,
    actor: v.actor,
    ...(v.reason ? { reason: v.reason } : {}),
    ...(v.caseType ? { caseType: v.caseType } : {}),
    ...(v.handTo ? { handTo: v.handTo } : {}),
    ...(v.subject ? { subject: v.subject } : {}),
    source: v.source,
    ...(v.via ? { via: v.via } : {}),
    ...(v.proof ? { proof: v.proof } : {}),
  };
}

export type ProofCheck =
  { ok: true; decision: Decision; issuedAt: string } | { ok: false; reason: 'missing_proof' | 'malformed' | 'bad_mac' | 'stale' };

/**
 * Verifies a proof for `workflowId`. `maxAgeMs` applies to new decisions; the money path re-checks
 * votes recorded days earlier with no age limit (binding and MAC are what matter then).
 */
export function verifyDecision(
  key: string,
  workflowId: string,
  d: SignedDecision,
  opts: { now?: Date; maxAgeMs?: number } = {},
): ProofCheck {
  if (!d || typeof d !== 'object') return { ok: false, reason: 'malformed' };
  const p = d.proof;
  if (!p) return { ok: false, reason: 'missing_proof' };
  if (
    p.v !== 1 ||
    typeof p.issuedAt !== 'string' ||
    typeof p.mac !== 'string' ||
    !d.actor ||
    typeof d.actor.id !== 'string' ||
    typeof d.requestId !== 'string'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const claims = decisionClaims(d);
  const expected = Buffer.from(mac(key, signedText(workflowId, claims, p.issuedAt)));
  const given = Buffer.from(p.mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad_mac' };
  if (opts.maxAgeMs !== undefined) {
    const at = Date.parse(p.issuedAt);
    const now = (opts.now ?? new Date()).getTime();
    // A proof from the future beyond the skew allowance is as suspect as an old one.
    if (!Number.isFinite(at) || now - at > opts.maxAgeMs || at - now > opts.maxAgeMs) return { ok: false, reason: 'stale' };
  }
  return { ok: true, decision: claims, issuedAt: p.issuedAt };
}
