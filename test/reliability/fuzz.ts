/**
 * Generated bad inputs for the two signed public endpoints. Deterministic (seeded) so a failing case
 * can be reproduced from its name. Every generated request is one the service must refuse with a
 * 4xx and a clear message, except a signed DialNexa call with a usable id whose fields are bad: that
 * call is kept (202), each bad field named, and held for a person (issue 24 §1, `held`).
 */
import { refundCall } from './calls';

type Json = Record<string, unknown>;

/** One HTTP request to send, named for the report. */
export interface FuzzCase {
  name: string;
  body: string;
  headers: Record<string, string>;
  /** DialNexa: sign this body with the right secret, or sign ANOTHER body and send this one (a replayed signature). */
  sign?: 'dialnexa' | { otherBody: string };
  /** Slack: sign `v0:<ts>:<body>` with the right secret at `now + offsetSeconds`. */
  slackSign?: { offsetSeconds: number };
  /** A signed call with a usable id and bad fields: accepted (202), the fields named, the case held for a person. */
  held?: { callId: string };
}

/** Mulberry32: a tiny seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_UNICODE = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '\u200b',
  'ｃａｌｌ',
  '𝕔𝕒𝕝𝕝',
  'é',
  '\u0301\u0301\u0301',
  '🧾💸',
  '\u2028',
  '\\u0000',
  '"\'<script>',
];
/** Odd characters that are not whitespace (a trimmed `\u2028` or BOM is legitimately blank). */
const ODD_VISIBLE = ODD_UNICODE.filter((c) => c.trim() !== '');
const WRONG_TYPES: unknown[] = [null, true, false, 0, -1, 1e308, [], [1, 2], {}, { a: 1 }, '', ' ', 'NaN'];

function deep(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { n: v };
  return v;
}

/** Paths in the refund call whose bad values the schema must refuse. */
const CALL = (b: Json) => (b.payload as Json).call as Json;
const PCA = (b: Json) => CALL(b).post_call_analysis as Json;
/** `refused`: the body is no usable DialNexa call (no call id, no call object, no event, too big): a 4xx. Others are held. */
type Mutation = { name: string; apply: (b: Json, r: () => number) => void; refused?: true };

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Field mutations that make a signed, well-formed JSON call invalid: a 4xx when `refused`, else the call is held (202). */
const MUTATIONS: Mutation[] = [
  {
    name: 'call id wrong type',
    apply: (b, r) =>
      (CALL(b).id = pick(
        r,
        WRONG_TYPES.filter((v) => typeof v !== 'string' || v.trim() === ''),
      )),
    refused: true,
  },
  { name: 'call id missing', apply: (b) => delete CALL(b).id, refused: true },
  { name: 'call id odd unicode', apply: (b, r) => (CALL(b).id = `call_${pick(r, ODD_UNICODE)}${Math.floor(r() * 1e6)}`), refused: true },
  { name: 'call id huge', apply: (b, r) => (CALL(b).id = `call_${'x'.repeat(129 + Math.floor(r() * 5000))}`), refused: true },
  { name: 'amount wrong type', apply: (b, r) => (PCA(b).amount = pick(r, [true, [], {}, { value: 1 }, [12]])) },
  {
    name: 'amount not a number',
    apply: (b, r) => (PCA(b).amount = pick(r, ['twelve', '12.34.56', '--5', '1e999x', `${pick(r, ODD_VISIBLE)}12`])),
  },
  { name: 'amount too many decimals', apply: (b, r) => (PCA(b).amount = `12.${'1'.repeat(3 + Math.floor(r() * 20))}`) },
  { name: 'currency unknown', apply: (b, r) => (PCA(b).currency = pick(r, ['XXQ', 'dollars', '€€', 'US', pick(r, ODD_VISIBLE)])) },
  { name: 'confidence out of range', apply: (b, r) => (PCA(b).intent_confidence = pick(r, [-0.1, 1.5, 99, 'high', [], {}])) },
  {
    name: 'email invalid',
    apply: (b, r) => (PCA(b).customer_email = pick(r, ['not-an-email', '@@', 'a@', `x${pick(r, ODD_VISIBLE)}@`, 42])),
  },
  { name: 'intent unknown', apply: (b, r) => (PCA(b).billing_intent = pick(r, ['free_money', 'drop_tables', 42, [], {}])) },
  { name: 'date invalid', apply: (b, r) => (PCA(b).follow_up_deadline = pick(r, ['tomorrow', '2026-13-45', '31/12/2026', 20261130, {}])) },
  { name: 'url invalid', apply: (b, r) => (CALL(b).recording_url = pick(r, ['javascript:alert(1)', 'ftp://x', 'not a url', 5])) },
  {
    name: 'text field wrong type',
    apply: (b, r) =>
      (PCA(b)[pick(r, ['refund_reason', 'promised_next_step', 'account_id', 'invoice_number'])] = pick(r, [
        42,
        true,
        [],
        { a: 1 },
        deep(5),
      ])),
  },
  { name: 'text field huge', apply: (b, r) => (CALL(b).summary = 'A'.repeat(10_001 + Math.floor(r() * 50_000))) },
  // Over the 500 000-character transcript limit, under the 1 MiB body limit: a field error.
  { name: 'transcript huge', apply: (b, r) => (CALL(b).transcript = 'B'.repeat(500_001 + Math.floor(r() * 300_000))) },
  // Over the body limit: refused before parsing.
  { name: 'body over 1 MiB', apply: (b, r) => (CALL(b).transcript = 'C'.repeat(1_100_000 + Math.floor(r() * 200_000))), refused: true },
  { name: 'deeply nested field', apply: (b, r) => (PCA(b).amount = deep(50 + Math.floor(r() * 500))) },
  { name: 'analysis wrong type', apply: (b, r) => (CALL(b).post_call_analysis = pick(r, ['refund please', 42, [1, 2, 3], true])) },
  { name: 'call wrong type', apply: (b, r) => ((b.payload as Json).call = pick(r, ['call', 42, [], true, null])), refused: true },
  { name: 'payload wrong type', apply: (b, r) => (b.payload = pick(r, ['x', 42, [], true, null])), refused: true },
  { name: 'event type wrong type', apply: (b, r) => (b.event_type = pick(r, [42, [], {}, true])), refused: true },
  { name: 'direction invalid', apply: (b, r) => (CALL(b).direction = pick(r, ['sideways', 42, pick(r, ODD_VISIBLE)])) },
  { name: 'duration invalid', apply: (b, r) => (CALL(b).duration = pick(r, [-5, 'long', {}, []])) },
];

const MALFORMED_JSON = [
  '',
  '{',
  '}',
  '{"event_type":',
  'null,',
  '[1,2',
  '{"a":1,}',
  "{'single':1}",
  'NaN',
  '{"x":"\\q"}',
  '\u0000',
  '{"a":"\ud800"',
  'undefined',
  '<xml/>',
  '{"payload":{"call":{"id":"x"}}}}',
];

/** DialNexa webhook cases: bad signatures, bad media types, malformed JSON, invalid fields. */
export function dialnexaCases(count: number, seed: number, callIdPrefix: string): FuzzCase[] {
  const r = rng(seed);
  const out: FuzzCase[] = [];
  const json = { 'content-type': 'application/json' };
  for (let i = 0; out.length < count; i++) {
    const callId = `${callIdPrefix}_${i}`;
    const valid = JSON.stringify(refundCall(callId));
    const kind = i % 10;
    if (kind === 0) out.push({ name: 'signature missing', body: valid, headers: json });
    else if (kind === 1) {
      const forged = pick(r, [
        'sha256=' + '0'.repeat(64),
        'sha256=' + 'f'.repeat(64),
        'deadbeef',
        'sha256=',
        'sha1=abc',
        pick(r, ODD_UNICODE).replace(/[^\x20-\x7e]/g, '?') || '?',
      ]);
      out.push({ name: 'signature forged', body: valid, headers: { ...json, 'x-dialnexa-signature': forged } });
    } else if (kind === 2) {
      // Replay: a real signature of another body (or of this body before it was altered).
      const other = JSON.stringify(refundCall(`${callId}_other`));
      out.push({ name: 'signature replayed on another body', body: valid, headers: json, sign: { otherBody: other } });
    } else if (kind === 3)
      out.push({
        name: 'malformed JSON',
        body: pick(r, MALFORMED_JSON) + (r() < 0.5 ? '' : pick(r, ODD_UNICODE)),
        headers: json,
        sign: 'dialnexa',
      });
    else if (kind === 4)
      out.push({
        name: 'wrong content type',
        body: valid,
        headers: {
          'content-type': pick(r, [
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
            'application/xml',
          ]),
        },
        sign: 'dialnexa',
      });
    else {
      const m = MUTATIONS[Math.floor(r() * MUTATIONS.length)] as Mutation;
      const body = refundCall(callId);
      m.apply(body, r);
      out.push({
        name: `invalid field: ${m.name}`,
        body: JSON.stringify(body),
        headers: json,
        sign: 'dialnexa',
        ...(m.refused ? {} : { held: { callId } }),
      });
    }
  }
  return out;
}

/** A Slack block_actions payload (form field `payload`), optionally broken. */
function slackForm(payload: unknown): string {
  return new URLSearchParams({ payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }).toString();
}

function blockActions(r: () => number): Json {
  return {
    type: 'block_actions',
    user: { id: 'U0FIN0001', username: 'dana' },
    trigger_id: '123.456.abc',
    response_url: 'https://hooks.slack.com/actions/T0/1/x',
    container: { channel_id: 'C0FINANCE', message_ts: '1700000000.000100' },
    actions: [
      {
        action_id: 'case_decision',
        block_id: 'b',
        type: 'button',
        value: JSON.stringify({ w: 'case-refund_request-none', r: `req-${Math.floor(r() * 1e6)}`, a: 'approve' }),
      },
    ],
  };
}

/** Slack interaction cases: missing/forged/stale/replayed signatures, and signed but malformed payloads. */
export function slackCases(count: number, seed: number): FuzzCase[] {
  const r = rng(seed);
  const out: FuzzCase[] = [];
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const brokenPayloads: (() => unknown)[] = [
    () =>
      pick(
        r,
        MALFORMED_JSON.filter((s) => s !== 'null,'),
      ),
    () => pick(r, ['"a string"', '42', 'true', 'null', '[]']),
    () => ({ ...blockActions(r), user: pick(r, WRONG_TYPES) }),
    () => ({ ...blockActions(r), actions: pick(r, ['x', 42, {}, null, [42], [{ value: 42 }]]) }),
    () => ({ ...blockActions(r), actions: deep(100 + Math.floor(r() * 400)) }),
    () => ({ ...blockActions(r), user: { id: pick(r, [42, [], {}, deep(30)]) } }),
    () => ({ type: 'view_submission', user: pick(r, WRONG_TYPES), view: pick(r, ['x', 42, null]) }),
    () => ({
      type: 'view_submission',
      user: { id: 'U0FIN0001' },
      view: { callback_id: 'decision_reason', private_metadata: pick(r, ['{', 'x', '[]', deep(40)]), state: { values: {} } },
    }),
  ];
  for (let i = 0; out.length < count; i++) {
    const kind = i % 6;
    const validBody = slackForm(blockActions(r));
    if (kind === 0) out.push({ name: 'slack signature missing', body: validBody, headers: form });
    else if (kind === 1)
      out.push({
        name: 'slack signature forged',
        body: validBody,
        headers: {
          ...form,
          'x-slack-signature': `v0=${'a'.repeat(64)}`,
          'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
        },
      });
    else if (kind === 2)
      out.push({
        name: 'slack timestamp stale',
        body: validBody,
        headers: form,
        slackSign: { offsetSeconds: -(301 + Math.floor(r() * 86_400)) },
      });
    else if (kind === 3)
      out.push({
        name: 'slack timestamp in the future',
        body: validBody,
        headers: form,
        slackSign: { offsetSeconds: 301 + Math.floor(r() * 86_400) },
      });
    else if (kind === 4)
      out.push({
        name: 'slack form without payload',
        body: pick(r, ['', 'foo=bar', 'payload=', `payload=${'%'.repeat(3)}`, '&&&', 'payload[]=1']),
        headers: form,
        slackSign: { offsetSeconds: 0 },
      });
    else {
      const payload = pick(r, brokenPayloads)();
      out.push({ name: 'slack signed but malformed payload', body: slackForm(payload), headers: form, slackSign: { offsetSeconds: 0 } });
    }
  }
  return out;
}
