import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  CodecKeyError,
  ENCRYPTED_ENCODING,
  METADATA_KEY_ID,
  PayloadDecryptionError,
  createKeyring,
  parseKeyringSpec,
} from '../../src/temporal/codec';
import { resolveCodecKeyring } from '../../src/temporal/data-converter';
import { ConfigError, loadConfig } from '../../src/config/load';
import { TokenBucketLimiter } from '../../src/security/rate-limit';

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const MARKER = 'MARKER-4111-1111-1111-1111';

describe('payload codec (AES-256-GCM)', () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  const payload = defaultPayloadConverter.toPayload({ note: MARKER }) as Payload;

  it('seals a payload: encoding binary/encrypted, key id in metadata, no plaintext in the bytes', async () => {
    const codec = new AesGcmPayloadCodec(createKeyring([['a', keyA]], 'a'));
    const [sealed] = await codec.encode([payload]);
    assert.equal(text(sealed.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(sealed.metadata?.[METADATA_KEY_ID]), 'a');
    assert.ok(!Buffer.from(sealed.data ?? []).includes(MARKER));
    assert.ok(!Buffer.from(sealed.data ?? []).includes('json/plain'), 'the original metadata is encrypted too');
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened), { note: MARKER });
  });

  it('uses a fresh IV each time (same input, different ciphertext)', async () => {
    const codec = new AesGcmPayloadCodec(createKeyring([['a', keyA]], 'a'));
    const [x, y] = await codec.encode([payload, payload]);
    assert.notDeepEqual(Buffer.from(x.data ?? []), Buffer.from(y.data ?? []));
  });

  it('rotation: new writes use the active key, payloads sealed with the old key still decode', async () => {
    const before = new AesGcmPayloadCodec(createKeyring([['a', keyA]], 'a'));
    const after = new AesGcmPayloadCodec(
      createKeyring(
        [
          ['a', keyA],
          ['b', keyB],
        ],
        'b',
      ),
    );
    const [old] = await before.encode([payload]);
    const [fresh] = await after.encode([payload]);
    assert.equal(text(fresh.metadata?.[METADATA_KEY_ID]), 'b');
    assert.deepEqual(defaultPayloadConverter.fromPayload((await after.decode([old]))[0]), { note: MARKER });
    await assert.rejects(before.decode([fresh]), (e: Error) => e instanceof PayloadDecryptionError && /no key "b"/.test(e.message));
  });

  it('refuses tampered ciphertext and a relabelled key id', async () => {
    const both = createKeyring(
      [
        ['a', keyA],
        ['b', keyA],
      ],
      'a',
    );
    const codec = new AesGcmPayloadCodec(both);
    const [sealed] = await codec.encode([payload]);
    const flipped = Buffer.from(sealed.data ?? []);
    flipped[20] ^= 1;
    await assert.rejects(codec.decode([{ ...sealed, data: flipped }]), PayloadDecryptionError);
    // Same key bytes under another id: the key id is authenticated data, so this fails too.
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, [METADATA_KEY_ID]: new TextEncoder().encode('b') } };
    await assert.rejects(codec.decode([relabelled]), PayloadDecryptionError);
  });

  it('passes through payloads that were never encrypted', async () => {
    const codec = new AesGcmPayloadCodec(createKeyring([['a', keyA]], 'a'));
    assert.deepEqual(await codec.decode([payload]), [payload]);
  });

  it('parses CODEC_KEYS and names the bad entry without echoing key material', () => {
    const ring = parseKeyringSpec(`2026-01:${keyA.toString('base64')}, 2026-07:${keyB.toString('base64')}`);
    assert.equal(ring.activeKeyId, '2026-07', 'the last key listed is active by default');
    assert.equal(parseKeyringSpec(`x:${keyA.toString('base64')},y:${keyB.toString('base64')}`, 'x').activeKeyId, 'x');
    assert.throws(
      () => parseKeyringSpec('k:c2hvcnQ='),
      (e: Error) => e instanceof CodecKeyError && /32 bytes/.test(e.message),
    );
    assert.throws(() => parseKeyringSpec(`k:${keyA.toString('base64')}`, 'other'), /active key id "other"/);
    assert.throws(() => parseKeyringSpec('no-separator'), /<key-id>:<base64 key>/);
    assert.throws(() => parseKeyringSpec(`bad id!:${keyA.toString('base64')}`), /key id/);
  });

  it('config: production refuses to start without API_TOKEN and CODEC_KEYS; bad keys are named', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', DIALNEXA_WEBHOOK_SECRET: 'x'.repeat(32), SLACK_SIGNING_SECRET: 'y'.repeat(32) }),
      (e: Error) => e instanceof ConfigError && /API_TOKEN: required/.test(e.message) && /CODEC_KEYS: required/.test(e.message),
    );
    assert.throws(() => loadConfig({ CODEC_KEYS: 'k:c2hvcnQ=' }), /CODEC_KEYS: key "k" must be 32 bytes/);
    assert.throws(() => loadConfig({ API_TOKEN: 'short' }), /API_TOKEN/);
    const prod = { env: 'production' as const, dataDir: '/nonexistent', security: loadConfig({}).security };
    assert.throws(() => resolveCodecKeyring(prod), /CODEC_KEYS is not configured/);
  });
});

describe('token bucket', () => {
  it('allows the burst, then asks to wait until a token refills', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ perMinute: 60, burst: 2, now: () => now });
    assert.equal(limiter.take('ip'), 0);
    assert.equal(limiter.take('ip'), 0);
    assert.equal(limiter.take('ip'), 1000, 'one token per second at 60/min');
    assert.equal(limiter.take('other'), 0, 'buckets are per client');
    now += 1000;
    assert.equal(limiter.take('ip'), 0);
  });
});
