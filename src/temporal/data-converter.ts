/**
 * The data converter every client and worker of this service uses: the default JSON payload
 * converter, then the AES-256-GCM codec (codec.ts). Keys come from config (CODEC_KEYS) or, outside
 * production, from a local key created on first run under DATA_DIR.
 */
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config/types';
import { devSecret } from '../dev-secrets';
import { AesGcmPayloadCodec, CodecKeyError, createKeyring, keyFingerprint, parseKeyringSpec, type CodecKeyring } from './codec';

/** The keyring from CODEC_KEYS; the embedded default's local key when none is configured. */
export function resolveCodecKeyring(config: Pick<Config, 'env' | 'dataDir' | 'security'>): CodecKeyring {
  const { codecKeys, codecActiveKeyId } = config.security;
  if (codecKeys) return parseKeyringSpec(codecKeys, codecActiveKeyId);
  if (config.env === 'production') throw new CodecKeyError('CODEC_KEYS is not configured');
  const key = Buffer.from(devSecret(config.dataDir, 'codec-key'), 'hex');
  const id = `local-${keyFingerprint(key)}`;
  return createKeyring([[id, key]], id);
}

/** Payload encryption for a client or worker. */
export function createDataConverter(keyring: CodecKeyring): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keyring)] };
}
