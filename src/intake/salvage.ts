/**
 * Reading what can be read of a call whose analysis has malformed fields (issue 24 §1). Post-call
 * analysis is written by a model: a field DialNexa could not fill properly is a normal day, and it
 * must not lose the whole call. Each field the schema refuses is taken out, named with what
 * DialNexa said, and the rest is parsed again; the case then goes to a person with those names.
 * Only what makes the body not a DialNexa call at all (no usable call id) is still refused.
 */
import type { z } from 'zod';
import type { SensitiveCategory, UnreadableField } from '../domain/case';
import { callSchema, fieldErrors, type FieldError, type ParsedCall } from './schema';
import { suppressText } from './suppression';

/** What DialNexa said is quoted at most this long. */
const SAID_MAX = 80;
/** Contact details: named when unreadable, never quoted (the Slack note carries no contact details). */
const CONTACT_FIELDS = new Set(['customer_email', 'customer_phone', 'customer_name', 'new_billing_address']);
/** An amount is read with its currency: when the currency cannot be read, neither can these. */
const NEEDS_CURRENCY = ['amount', 'approval_threshold'];

export type Salvaged =
  /** `found`: sensitive categories suppressed in what DialNexa said (the case is a sensitive request then). */
  | { kind: 'ok'; call: ParsedCall; unreadable: UnreadableField[]; found: SensitiveCategory[] }
  /** Not a usable DialNexa call (no call id): nothing to keep. */
  | { kind: 'refused'; errors: FieldError[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Suppresses `text`, adding what it found to `found`. */
function clean(text: string, found: Set<SensitiveCategory>): string {
  const r = suppressText(text);
  r.found.forEach((c) => found.add(c));
  return r.text;
}

function said(value: unknown, found: Set<SensitiveCategory>): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  // Suppressed before the final cut, so that cut cannot leave half a card number behind (the first
  // cut, far past what is shown, only bounds the work on a huge value).
  // No line breaks, backticks or angle brackets: the value is quoted in Slack, where `<!channel>` would ping.
  const safe = clean(
    s
      .slice(0, SAID_MAX * 5)
      .replace(/[\r\n`]+/g, ' ')
      .replace(/[<>]/g, (c) => (c === '<' ? '‹' : '›')),
    found,
  );
  return safe.length > SAID_MAX ? `${safe.slice(0, SAID_MAX)}…` : safe;
}

/**
 * Parses the call, taking out each field the schema refuses (at most a few rounds: a field taken
 * out can make another unreadable, such as an amount without its currency).
 */
export function salvageCall(raw: Record<string, unknown>, callPath: (string | number)[]): Salvaged {
  let call: Record<string, unknown> = {
    ...raw,
    ...(isObject(raw.post_call_analysis) ? { post_call_analysis: { ...raw.post_call_analysis } } : {}),
  };
  const unreadable = new Map<string, UnreadableField>();
  const found = new Set<SensitiveCategory>();
  const note = (field: string, value: unknown, why: string) => {
    if (unreadable.has(field)) return;
    unreadable.set(field, {
      field,
      ...(CONTACT_FIELDS.has(field) || value === undefined ? {} : { said: said(value, found) }),
      why: clean(
        why.replace(/[<>]/g, (c) => (c === '<' ? '‹' : '›')),
        found,
      ),
    });
  };
  for (let round = 0; round < 6; round++) {
    const parsed = callSchema.safeParse(call);
    if (parsed.success) return { kind: 'ok', call: parsed.data, unreadable: [...unreadable.values()], found: [...found] };
    const issues: z.core.$ZodIssue[] = parsed.error.issues;
    if (issues.some((i) => i.path.length === 0 || i.path[0] === 'id'))
      return {
        kind: 'refused',
        errors: fieldErrors(parsed.error, callPath).filter((e) => e.field.endsWith('.id') || e.field === callPath.join('.')),
      };
    const analysis = isObject(call.post_call_analysis) ? { ...call.post_call_analysis } : undefined;
    const next: Record<string, unknown> = { ...call };
    for (const issue of issues) {
      const [head, key] = issue.path as (string | number)[];
      if (head !== 'post_call_analysis') {
        note(String(head), call[head], issue.message);
        delete next[head];
        continue;
      }
      if (key === undefined || !analysis) {
        note('post_call_analysis', call.post_call_analysis, issue.message);
        delete next.post_call_analysis;
        continue;
      }
      const k = String(key);
      if (k in analysis) {
        note(k, analysis[k], issue.message);
        delete analysis[k];
      } else if (k === 'currency') {
        // "currency is required with amount" after the currency itself was taken out: the amount goes too.
        for (const dependent of NEEDS_CURRENCY) {
          if (analysis[dependent] === undefined) continue;
          note(dependent, analysis[dependent], 'no readable currency to read it in');
          delete analysis[dependent];
        }
      }
    }
    if (analysis && 'post_call_analysis' in next) next.post_call_analysis = analysis;
    call = next;
  }
  // Still unreadable after taking fields out: keep the call itself (id, words) and nothing of its analysis.
  const bare = callSchema.safeParse({ id: raw.id, status: raw.status, transcript: raw.transcript, summary: raw.summary });
  if (!bare.success) return { kind: 'refused', errors: fieldErrors(bare.error, callPath) };
  note('post_call_analysis', raw.post_call_analysis, 'the analysis could not be read');
  return { kind: 'ok', call: bare.data, unreadable: [...unreadable.values()], found: [...found] };
}
