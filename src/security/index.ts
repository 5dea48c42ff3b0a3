/**
 * HTTP hardening for the API, mounted by createApp before any route: security headers, body-size
 * guard, per-IP rate limit on the public endpoints, the Temporal UI codec endpoint, and the
 * deny-by-default access gate. Order matters: the gate comes last so the codec router can answer
 * CORS preflights (which never carry credentials) itself.
 */
import type { Express } from 'express';
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Config } from '../config/types';
import { accessGate } from './auth';
import { bodyLimit, securityHeaders } from './headers';
import { rateLimit } from './rate-limit';
import { createCodecRouter, originOf } from './codec-routes';

/** Public endpoints the rate limit guards (the signed webhooks). */
export const RATE_LIMITED_PREFIXES = ['/webhooks', '/slack'];

export interface SecurityDeps {
  config: Config;
  /** The API's client: its data converter's codecs are the ones the codec endpoint applies. */
  client: Client;
  apiToken: string | undefined;
}

/** The codecs of a data converter as one codec (encode in order, decode in reverse). */
export function chainCodecs(codecs: readonly PayloadCodec[]): PayloadCodec {
  return {
    async encode(payloads: Payload[]) {
      let out = payloads;
      for (const c of codecs) out = await c.encode(out);
      return out;
    },
    async decode(payloads: Payload[]) {
      let out = payloads;
      for (const c of [...codecs].reverse()) out = await c.decode(out);
      return out;
    },
  };
}

/** Express `trust proxy` from HTTP_TRUST_PROXY: a hop count, true/false, or names/CIDRs. */
function trustProxyValue(v: string): boolean | number | string {
  if (/^\d+$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

export function mountSecurity(app: Express, deps: SecurityDeps): void {
  const { config, apiToken } = deps;
  const s = config.security;
  if (s.trustProxy) app.set('trust proxy', trustProxyValue(s.trustProxy));
  const https = config.http.publicBaseUrl.startsWith('https:');
  app.use(securityHeaders({ hsts: config.env === 'production' || https }));
  app.use(bodyLimit(s.bodyLimitBytes));
  app.use(RATE_LIMITED_PREFIXES, rateLimit(s.rateLimit));
  app.use(
    '/codec',
    createCodecRouter({
      codec: chainCodecs(deps.client.options.loadedDataConverter.payloadCodecs),
      apiToken,
      allowedOrigins: [originOf(config.temporal.uiUrl)],
      namespace: config.temporal.namespace,
      sessionTtlMs: s.codecSessionTtlMs,
      secureCookie: https,
      bodyLimitBytes: s.bodyLimitBytes,
      admitLocalUi: s.codecAdmitsLocalUi,
    }),
  );
  app.use(accessGate(apiToken));
}
