/**
 * Slack request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `v0=` + hex(HMAC-SHA256(signingSecret, `v0:{timestamp}:{rawBody}`)), compared in constant time,
 * with a 5-minute window against replays. Works on the raw body: a re-serialised form body would
 * not match what Slack signed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: requests older (or newer) than this are refused. */
export const SLACK_SIGNATURE_MAX_AGE_SECONDS = 300;

/** Why a request was refused. Never says which byte differed. */
export type SignatureFailure = 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature';

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

/** The `v0=` signature Slack would send for this body at this timestamp (also used by tests). */
export function computeSlackSignature(signingSecret: string, timestamp: string | number, rawBody: string | Buffer): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

/** Checks `X-Slack-Signature` / `X-Slack-Request-Timestamp` against the raw body. */
export function verifySlackSignature(opts: {
  signingSecret: string;
  rawBody: Buffer | string;
  signature: string | undefined;
  timestamp: string | undefined;
  /** Seconds since the epoch; injectable for tests. */
  nowSeconds?: number;
}): SignatureCheck {
  const { signature, timestamp } = opts;
  if (!signature || !timestamp) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > SLACK_SIGNATURE_MAX_AGE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(computeSlackSignature(opts.signingSecret, timestamp, opts.rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; a length mismatch reveals nothing secret (the format is public).
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  return { ok: true };
}
