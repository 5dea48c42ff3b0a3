/**
 * Encrypted history: a PayloadCodec that seals every payload (workflow inputs, results, activity
 * arguments, signals, updates, queries) with AES-256-GCM before it leaves this process, so the
 * Temporal server and its database only ever hold ciphertext.
 *
 * Wire format of an encrypted payload:
 *   metadata.encoding          = "binary/encrypted"
 *   metadata.encryption-key-id = the id of the key that sealed it (rotation: decode looks it up)
 *   data                       = 12-byte IV || ciphertext || 16-byte GCM tag
 * The plaintext is the whole original Payload (metadata included), protobuf-encoded. The key id is
 * bound as additional authenticated data, so relabelling a payload with another key id fails.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Raised when a payload cannot be decrypted: unknown key id, tampered bytes, wrong key. In a worker
 * this fails the workflow task, which Temporal retries: adding the missing key heals it.
 */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/** Raised for a malformed keyring (bad id, wrong key length, active key missing). */
export class CodecKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

/** The keys the codec knows: new payloads are sealed with `activeKeyId`; any listed key decrypts. */
export interface CodecKeyring {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** Validates and builds a keyring. Keys are 32 raw bytes (AES-256). */
export function createKeyring(keys: Iterable<[string, Buffer]>, activeKeyId: string): CodecKeyring {
  const map = new Map<string, Buffer>();
  for (const [id, key] of keys) {
    if (!KEY_ID_PATTERN.test(id)) throw new CodecKeyError(`key id "${id}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    if (key.length !== KEY_BYTES) throw new CodecKeyError(`key "${id}" must be ${KEY_BYTES} bytes (AES-256), got ${key.length}`);
    if (map.has(id)) throw new CodecKeyError(`key id "${id}" is listed twice`);
    map.set(id, Buffer.from(key));
  }
  if (!map.has(activeKeyId)) throw new CodecKeyError(`active key id "${activeKeyId}" is not among the configured keys`);
  return { activeKeyId, keys: map };
}

/**
 * Parses `kid1:base64key,kid2:base64key` (the CODEC_KEYS format). Errors name the entry, never the
 * key material.
 */
export function parseKeyringSpec(spec: string, activeKeyId?: string): CodecKeyring {
  const entries: [string, Buffer][] = [];
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const sep = raw.indexOf(':');
    if (sep <= 0) throw new CodecKeyError(`entry ${entries.length + 1} must look like <key-id>:<base64 key>`);
    const id = raw.slice(0, sep);
    const b64 = raw.slice(sep + 1);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new CodecKeyError(`key "${id}" is not base64`);
    entries.push([id, Buffer.from(b64, 'base64')]);
  }
  if (entries.length === 0) throw new CodecKeyError('no keys given');
  // Without an explicit active id the last key listed is the newest (append on rotation).
  return createKeyring(entries, activeKeyId ?? entries[entries.length - 1][0]);
}

/** A stable, non-secret id for a key (used for the generated local key). */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const fromUtf8 = (b: Uint8Array) => new TextDecoder().decode(b);
const aad = (keyId: string) => utf8(`${ENCRYPTED_ENCODING}:${keyId}`);

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: CodecKeyring) {}

  /** The key id new payloads are sealed with. */
  get activeKeyId(): string {
    return this.keyring.activeKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.keys.get(keyId) as Buffer;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(keyId));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: utf8(keyId) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      // Payloads written before encryption was switched on pass through unchanged.
      if (!encoding || fromUtf8(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
      if (!keyIdBytes) throw new PayloadDecryptionError('encrypted payload has no encryption-key-id');
      const keyId = fromUtf8(keyIdBytes);
      const key = this.keyring.keys.get(keyId);
      if (!key) throw new PayloadDecryptionError(`no key "${keyId}" in the keyring (was it removed before its payloads expired?)`);
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload is too short');
      const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, IV_BYTES));
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(buf.subarray(IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(`payload failed authentication with key "${keyId}"`);
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
