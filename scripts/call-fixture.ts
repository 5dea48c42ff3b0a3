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
