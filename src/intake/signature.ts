/**
 * DialNexa webhook signatures: HMAC-SHA256 of the raw request body, hex-encoded, keyed with the
 * webhook secret. DialNexa's two doc sites disagree on the details (external-apis.md §2), so both
 * header spellings and both value forms (`sha256=<hex>` and bare hex) are accepted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names DialNexa is documented to use, in the order they are checked. */
export const SIGNATURE_HEADERS = ['x-dialnexa-signature', 'x-nexa-signature'] as const;

/** Why a signature was refused; the HTTP answer names it without revealing the expected value. */
export type SignatureFailure = 'missing' | 'malformed' | 'mismatch';

export type SignatureCheck = { ok: true; header: (typeof SIGNATURE_HEADERS)[number] } | { ok: false; reason: SignatureFailure };

/** The signature header value DialNexa would send for this body (`sha256=<hex>`). */
export function signDialNexaBody(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * Verifies the signature of a raw body. `getHeader` returns a header value by lower-case name
 * (express's `req.get` or a plain lookup). Comparison is constant-time over the decoded digest.
 */
export function verifyDialNexaSignature(rawBody: Buffer, getHeader: (name: string) => string | undefined, secret: string): SignatureCheck {
  const found = SIGNATURE_HEADERS.map((h) => [h, getHeader(h)?.trim()] as const).find(([, v]) => v);
  if (!found) return { ok: false, reason: 'missing' };
  const [header, value] = found as [(typeof SIGNATURE_HEADERS)[number], string];
  const hex = value.toLowerCase().startsWith('sha256=') ? value.slice('sha256='.length) : value;
  // A SHA-256 digest is 64 hex characters; anything else cannot match and is reported as such.
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(hex, 'hex');
  return timingSafeEqual(expected, given) ? { ok: true, header } : { ok: false, reason: 'mismatch' };
}
