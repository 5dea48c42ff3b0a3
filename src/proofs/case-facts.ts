/**
 * Signed intake (issue 21): the API attests the facts a case acts on, the worker verifies them
 * before any automated decision (and the money activity again before automated money moves).
 *
 * Anyone who can reach the Temporal namespace can start `refundRequest` with made-up input: the
 * payload codec lets plaintext payloads through, so no key is needed to start a workflow. What
 * they cannot make is this attestation: an HMAC-SHA256, with a key only the API and the worker
 * hold (derived from DECISION_SIGNING_KEY, see docs/security.md), over
 *
 * - the workflow id the case runs under (`caseWorkflowId(callId, caseType)`), so an attestation
 *   copied out of one case's history cannot be reused for another workflow;
 * - the case type and the call id;
 * - every field of the call's analysis (`fields`: account, invoice, amount and currency, refund and
 *   dispute reason, credit request, payment platform, tier, ...), in a canonical JSON form, so no
 *   field, present or added later, can be changed or added without breaking it;
 * - the intent confidence and the suppressed categories;
 * - who attested (`api`: the intake; `worker`: a case a person chose in triage) and when.
 *
 * The MAC is not a secret: it is in the case's input (history), like a decision's proof. The key
 * never enters history. Pure: the intake, the worker's gate and the money activity share it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CaseAttestation, CaseInput } from '../domain/case';

const FORMAT = 'dialnexa-billing-case-facts';
const VERSION = 1;

/** What an attestation covers (a CaseInput has all of it; the money activity may pass just these). */
export type CaseFacts = Pick<CaseInput, 'caseType' | 'fields' | 'intentConfidence' | 'suppressed' | 'attestation'> & {
  call: Pick<CaseInput['call'], 'callId'>;
};

/** Why facts did not verify. */
export type CaseFactsRefusal = 'unsigned' | 'malformed' | 'bad_mac';

export type CaseFactsCheck = { ok: true; by: CaseAttestation['by'] } | { ok: false; reason: CaseFactsRefusal };

/**
 * The facts key: derived from the decision key, so the attestation has its own key (a decision
 * proof can never verify as an attestation or the other way round) without a second secret to
 * deploy and rotate.
 */
function factsKey(key: string): Buffer {
  return createHmac('sha256', key).update(`${FORMAT}/key/v${VERSION}`, 'utf8').digest();
}

/** JSON with object keys sorted at every level; `undefined` members dropped, as the payload converter drops them. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function signedText(workflowId: string, f: CaseFacts, by: CaseAttestation['by'], issuedAt: string): string {
  return JSON.stringify([
    FORMAT,
    VERSION,
    workflowId,
    f.caseType,
    f.call.callId,
    canonicalJson(f.fields ?? {}),
    f.intentConfidence ?? null,
    canonicalJson(f.suppressed ?? []),
    by,
    issuedAt,
  ]);
}

function mac(key: string, text: string): string {
  return createHmac('sha256', factsKey(key)).update(text, 'utf8').digest('base64url');
}

/**
 * The attestation for `facts` as the case `workflowId` will run them. `by`: `api` at intake,
 * `worker` for a case started by triage after the worker verified triage's facts and the choice.
 */
export function attestCaseFacts(
  key: string,
  workflowId: string,
  facts: CaseFacts,
  opts: { by?: CaseAttestation['by']; now?: Date } = {},
): CaseAttestation {
  const by = opts.by ?? 'api';
  const issuedAt = (opts.now ?? new Date()).toISOString();
  return { v: VERSION, by, issuedAt, mac: mac(key, signedText(workflowId, facts, by, issuedAt)) };
}

/**
 * Whether `input`'s facts are the ones attested for `workflowId`. No age limit: cases wait days,
 * and the binding to the workflow id is what stops reuse. Never throws.
 */
export function verifyCaseFacts(key: string, workflowId: string, input: CaseFacts): CaseFactsCheck {
  if (!input || typeof input !== 'object') return { ok: false, reason: 'malformed' };
  const a = input.attestation as Partial<CaseAttestation> | undefined;
  if (a === undefined || a === null) return { ok: false, reason: 'unsigned' };
  if (
    typeof a !== 'object' ||
    a.v !== VERSION ||
    (a.by !== 'api' && a.by !== 'worker') ||
    typeof a.issuedAt !== 'string' ||
    typeof a.mac !== 'string' ||
    typeof input.caseType !== 'string' ||
    typeof input.call?.callId !== 'string'
  )
    return { ok: false, reason: 'malformed' };
  let expected: Buffer;
  try {
    expected = Buffer.from(mac(key, signedText(workflowId, input, a.by, a.issuedAt)));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const given = Buffer.from(a.mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad_mac' };
  return { ok: true, by: a.by };
}
