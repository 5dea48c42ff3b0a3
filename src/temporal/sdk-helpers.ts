/**
 * Small stand-ins, on the SDK's public API, for helpers the project used to import from
 * `@temporalio/*\/lib/...` (internal paths that a minor SDK release may move or drop). Each one
 * does what the SDK's own does, for the cases used here.
 */
import {
  arrayFromPayloads,
  fromPayloadsAtIndex,
  type LoadedDataConverter,
  type Next,
  type Payload,
  type PayloadCodec,
} from '@temporalio/common';
import Long from 'long';

async function decodeWithCodecs(codecs: readonly PayloadCodec[], payloads: Payload[] | null | undefined): Promise<Payload[] | undefined> {
  if (!payloads) return undefined;
  let out = payloads;
  // Codecs encode first-to-last, so they decode last-to-first (the SDK's codec-helpers).
  for (let i = codecs.length - 1; i >= 0; i--) out = await codecs[i].decode(out);
  return out;
}

/** The value at `index` of encoded `payloads` (codecs, then the payload converter), or undefined when there is none. */
export async function decodeAtIndex<T>(converter: LoadedDataConverter, index: number, payloads: Payload[] | null | undefined): Promise<T> {
  return fromPayloadsAtIndex<T>(converter.payloadConverter, index, await decodeWithCodecs(converter.payloadCodecs, payloads));
}

/** Every value of encoded `payloads` (a workflow's or activity's arguments). */
export async function decodeArray(converter: LoadedDataConverter, payloads: Payload[] | null | undefined): Promise<unknown[]> {
  return arrayFromPayloads(converter.payloadConverter, await decodeWithCodecs(converter.payloadCodecs, payloads));
}

/** A protobuf Timestamp (an event's `eventTime`) as a Date, or undefined when absent. */
export function optionalTsToDate(ts: { seconds?: Long | number | null; nanos?: number | null } | null | undefined): Date | undefined {
  if (!ts) return undefined;
  const seconds = Long.isLong(ts.seconds) ? ts.seconds.toNumber() : Number(ts.seconds ?? 0);
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000));
}

/** A protobuf Duration of whole days (a namespace's retention). */
export function daysToDuration(days: number): { seconds: Long; nanos: number } {
  return { seconds: Long.fromNumber(days * 24 * 3600), nanos: 0 };
}

/**
 * Chains interceptors' `method` around `next`, the first interceptor outermost (as the SDK's
 * client does for its own calls).
 */
export function composeInterceptors<I, M extends keyof I>(interceptors: I[], method: M, next: Next<I, M>): Next<I, M> {
  let composed = next;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i];
    const fn = interceptor[method] as unknown as ((input: unknown, next: Next<I, M>) => unknown) | undefined;
    if (fn !== undefined) {
      const inner = composed;
      composed = ((input: unknown) => fn.call(interceptor, input, inner)) as unknown as Next<I, M>;
    }
  }
  return composed;
}
