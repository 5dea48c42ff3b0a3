/**
 * DialNexa's webhook envelopes (external-apis.md §2). The two doc sites disagree, so both shapes
 * are read: Variant A `{event_type, payload: {call}}` (the API reference) and Variant B
 * `{event: "call.ended" | "call.analysis_ready", ..., call}` (the monitoring docs), the latter only
 * where it carries the call. Anything that is not a finished call is acknowledged and ignored,
 * with a reason, because DialNexa retries (and refuses to save a webhook) on non-2xx answers.
 */
import type { FieldError } from './schema';

/** What the envelope holds. */
export type Envelope =
  | { kind: 'call'; event: string; call: Record<string, unknown>; callPath: string[] }
  | { kind: 'ignored'; event: string; reason: string }
  | { kind: 'invalid'; errors: FieldError[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Call statuses that mean the call connected and finished (Variant A `completed`; others' spellings). */
const FINISHED = new Set(['completed', 'ended', 'analyzed', 'complete']);

const IGNORED_EVENTS: Record<string, string> = {
  verification: 'verification ping',
  call_initiated: 'call not finished yet (call_initiated)',
  transfer_completed: 'transfer event; the call_ended event carries the call',
  'call.started': 'call not finished yet (call.started)',
  'call.transcript_ready': 'transcript only; the call.analysis_ready event carries the analysis',
  'call.function_error': 'agent function error; not a finished call',
  'alert.triggered': 'alert; not a finished call',
  'call.failed': 'call never connected (call.failed)',
  'call.no_answer': 'call never connected (call.no_answer)',
  'campaign.completed': 'campaign event; not a call',
  'campaign.paused': 'campaign event; not a call',
  'workflow.lead.completed': 'workflow event; not a call',
};

const CALL_EVENTS = new Set(['call_ended', 'call_analyzed', 'call.ended', 'call.analysis_ready', 'call.completed']);

/** Reads the envelope of a parsed JSON body. Pure. */
export function readEnvelope(body: unknown): Envelope {
  if (!isObject(body))
    return { kind: 'invalid', errors: [{ field: '(body)', message: 'must be a JSON object (a DialNexa webhook event)' }] };
  const variantA = typeof body.event_type === 'string';
  const event = (variantA ? body.event_type : body.event) as unknown;
  if (typeof event !== 'string' || event.trim() === '') {
    return {
      kind: 'invalid',
      errors: [{ field: 'event_type', message: 'is required: the DialNexa event name (event_type, or event in the second envelope)' }],
    };
  }
  // Names are short identifiers; a long one is cut so answers and logs stay bounded.
  const name = event.trim().slice(0, 64);
  if (IGNORED_EVENTS[name]) return { kind: 'ignored', event: name, reason: IGNORED_EVENTS[name] };
  if (!CALL_EVENTS.has(name)) return { kind: 'ignored', event: name, reason: `event ${name} is not handled` };

  // Where the call sits: Variant A under payload.call; Variant B at the top level (or under data).
  const candidates: [unknown, string[]][] = [
    [isObject(body.payload) ? body.payload.call : undefined, ['payload', 'call']],
    [body.call, ['call']],
    [isObject(body.data) ? body.data.call : undefined, ['data', 'call']],
    [body.data, ['data']],
  ];
  const found = candidates.find(([c]) => isObject(c) && 'id' in c);
  if (!found) {
    if (variantA)
      return { kind: 'invalid', errors: [{ field: 'payload.call', message: 'is required for call_ended: the call object with its id' }] };
    return { kind: 'ignored', event: name, reason: `${name} without a call object; nothing to act on` };
  }
  const [raw, callPath] = found as [Record<string, unknown>, string[]];
  // DialNexa's call-log API names the analysis `analysis`; the webhook `post_call_analysis`.
  const call = raw.post_call_analysis === undefined && raw.analysis !== undefined ? { ...raw, post_call_analysis: raw.analysis } : raw;

  const status = typeof call.status === 'string' ? call.status.trim().toLowerCase() : undefined;
  if (status !== undefined && !FINISHED.has(status))
    return { kind: 'ignored', event: name, reason: `call never connected (status ${status.slice(0, 40)})` };
  if (status === undefined && call.transcript == null && call.post_call_analysis == null) {
    return { kind: 'ignored', event: name, reason: 'call never connected (no status, transcript or analysis)' };
  }
  // Variant B sends call.ended before the analysis exists; the later call.analysis_ready event carries it.
  if (name === 'call.ended' && call.post_call_analysis == null) {
    return { kind: 'ignored', event: name, reason: 'analysis not ready; waiting for call.analysis_ready' };
  }
  return { kind: 'call', event: name, call, callPath };
}
