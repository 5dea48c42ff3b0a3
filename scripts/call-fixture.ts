/**
 * A call fixture under a new call id. The fixture's id also appears inside its links (the
 * recording URL, a transcript URL): every occurrence moves with the id, so a case never links the
 * recording of another call.
 */

export interface CallFixture {
  payload: { call: { id: string } & Record<string, unknown> };
}

function replaceDeep(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  return value;
}

/** The fixture with `callId` in place of its own call id, everywhere in the call object. */
export function withCallId(fixture: CallFixture, callId: string): CallFixture {
  const own = fixture.payload?.call?.id;
  if (typeof own !== 'string' || own.length < 8) throw new Error('the fixture has no payload.call.id to replace');
  const call = replaceDeep(fixture.payload.call, own, callId) as CallFixture['payload']['call'];
  return { ...fixture, payload: { ...fixture.payload, call: { ...call, id: callId } } };
}

/**
 * The fixture as a delivery of a call that just ended: `initiated_at`, `started_at` and `ended_at`
 * move together so `ended_at` is `now` (durations kept). The intake refuses a call that ended
 * longer ago than WEBHOOK_MAX_CALL_AGE (src/intake/freshness.ts), and the fixtures' own dates age.
 */
export function freshDelivery<T>(body: T, now: Date = new Date()): T {
  const call = (body as { payload?: { call?: Record<string, unknown> } }).payload?.call;
  if (!call) return body;
  const anchor = [call.ended_at, call.started_at, call.initiated_at]
    .map((v) => (typeof v === 'string' ? Date.parse(v) : NaN))
    .find(Number.isFinite);
  if (anchor === undefined) return body;
  const shift = now.getTime() - anchor;
  const moved: Record<string, unknown> = { ...call };
  for (const key of ['initiated_at', 'started_at', 'ended_at']) {
    const t = typeof call[key] === 'string' ? Date.parse(call[key]) : NaN;
    if (Number.isFinite(t)) moved[key] = new Date(t + shift).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  const b = body as unknown as { payload: Record<string, unknown> };
  return { ...b, payload: { ...b.payload, call: moved } } as T;
}
