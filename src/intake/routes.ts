/**
 * `POST /webhooks/dialnexa` and `GET /openapi.json`. The request path does only what must happen
 * before DialNexa's 5 s deadline: verify, parse, suppress, classify, start. Enrichment (QuickBooks,
 * HubSpot, ...) happens inside the workflows. Nothing from the body is logged; log lines carry the
 * call id, event name, case types and outcomes.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { trace } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import { isGrpcServiceError } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { tracedRoute } from '../observability/server-span';
import { classifyCall } from './classify';
import { readEnvelope } from './envelope';
import { openApiDocument } from './openapi';
import { callSchema, fieldErrors, type FieldError } from './schema';
import { verifyDialNexaSignature } from './signature';
import { buildCaseInputs, CaseStarter, CaseStartTimeoutError, type CaseStartResult } from './start-cases';
import { suppressCall, suppressText } from './suppression';

/** DialNexa bodies are small; anything over this is refused before it is read further. */
export const MAX_BODY = '1mb';

export interface DialNexaRouteDeps {
  config: Pick<Config, 'temporal' | 'dialnexa' | 'timings'>;
  client: Client;
  logger: Logger;
  webhookSecret: string;
  /** Attests every case's facts (DECISION_SIGNING_KEY: only the API and the worker hold it; src/security/case-facts.ts). */
  factsKey: string;
  /** For tests: the arrival time stamped on cases. */
  now?: () => Date;
}

/** Error codes of the webhook's JSON errors (see openapi.ts). */
export type IntakeErrorCode =
  'invalid_signature' | 'malformed_json' | 'unsupported_media_type' | 'payload_too_large' | 'invalid_fields' | 'temporal_unavailable';

function fail(res: Response, status: number, error: IntakeErrorCode, message: string, fields?: FieldError[]): void {
  // Messages may quote what was sent; quote nothing sensitive back, even to the sender.
  const clean = fields?.map((f) => ({ field: f.field, message: suppressText(f.message).text }));
  res.status(status).json(clean ? { error, message, fields: clean } : { error, message });
}

/** A body that is nothing but DialNexa's `verification` event (no call). */
function isVerificationPing(raw: Buffer): boolean {
  if (raw.length > 4096) return false;
  try {
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    return (
      typeof body === 'object' &&
      body !== null &&
      body.event_type === 'verification' &&
      (body.payload === undefined || (typeof body.payload === 'object' && body.payload !== null && !('call' in body.payload)))
    );
  } catch {
    return false;
  }
}

const isJson = (req: Request): boolean => Boolean(req.is(['application/json', 'application/*+json']));

/** gRPC codes that mean Temporal is not reachable right now (DialNexa should retry). */
// gRPC codes that mean "Temporal could not take it right now": the delivery is safe to retry
// (starts are idempotent), so DialNexa gets a 503 rather than a 500. CANCELLED and
// RESOURCE_EXHAUSTED show up under load (client-side cancellation, server throttling).
const UNAVAILABLE = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 8 /* RESOURCE_EXHAUSTED */, 14 /* UNAVAILABLE */]);

export function createDialNexaRouter(deps: DialNexaRouteDeps): Router {
  const { config, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const starter = new CaseStarter(deps.client, {
    taskQueue: config.temporal.taskQueue,
    namespace: config.temporal.namespace,
    uiUrl: config.temporal.uiUrl,
    factsKey: deps.factsKey,
  });
  const router = Router();

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  // Raw body on this route only: the HMAC is over the exact bytes DialNexa sent.
  // The webhook's span is the root of each case's trace (src/observability/tracing.ts).
  const handleWebhook = async (req: Request, res: Response) => {
    const receivedAt = now().toISOString();
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

    const signature = verifyDialNexaSignature(raw, (name) => req.get(name), deps.webhookSecret);
    if (!signature.ok && signature.reason === 'missing' && isVerificationPing(raw)) {
      // DialNexa's docs do not say whether the ping sent when a webhook is saved is signed, and the
      // webhook is not saved without a 2xx. An unsigned ping carries nothing and starts nothing; a
      // ping with a wrong signature still gets 401, which shows a mistyped secret at save time.
      logger.warn('dialnexa webhook: unsigned verification ping acknowledged');
      return void res.status(200).json({ ignored: true, reason: 'verification ping', event: 'verification' });
    }
    if (!signature.ok) {
      logger.warn({ reason: signature.reason }, 'dialnexa webhook: signature refused');
      const message = {
        missing: 'Missing signature: send X-DialNexa-Signature (or x-nexa-signature) with the HMAC-SHA256 of the body.',
        malformed: 'Malformed signature: expected sha256=<64 hex characters> or 64 hex characters.',
        mismatch: 'Signature does not match the body.',
      }[signature.reason];
      return fail(res, 401, 'invalid_signature', message);
    }
    if (!isJson(req))
      return fail(
        res,
        415,
        'unsupported_media_type',
        `Content-Type must be application/json, got ${JSON.stringify(req.get('content-type') ?? '(none)')}.`,
      );

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return fail(res, 400, 'malformed_json', `Body is not valid JSON: ${(err as Error).message}`);
    }

    const envelope = readEnvelope(body);
    if (envelope.kind === 'invalid') return fail(res, 422, 'invalid_fields', 'The event envelope is invalid.', envelope.errors);
    if (envelope.kind === 'ignored') {
      logger.info({ event: envelope.event, reason: envelope.reason }, 'dialnexa webhook: ignored');
      return void res.status(200).json({ ignored: true, reason: envelope.reason, event: envelope.event });
    }

    const parsed = callSchema.safeParse(envelope.call);
    if (!parsed.success) {
      const fields = fieldErrors(parsed.error, envelope.callPath);
      logger.warn({ event: envelope.event, fields: fields.map((f) => f.field) }, 'dialnexa webhook: invalid fields');
      return fail(res, 422, 'invalid_fields', `${fields.length} field(s) are invalid; nothing was started.`, fields);
    }

    // From here on only suppressed data is used: nothing raw reaches Temporal, logs or responses.
    const call = suppressCall(parsed.data);
    const analysis = parsed.data.post_call_analysis;
    const classification = classifyCall(
      {
        intents: analysis?.intents ?? [],
        intentConfidence: analysis?.intentConfidence,
        texts: [call.call.summary, call.call.transcript],
        fields: call.fields,
        suppressed: call.suppressed,
      },
      config.dialnexa.triageConfidenceThreshold,
    );
    const callId = call.call.callId;
    if (classification.kind === 'not_billing') {
      logger.info({ callId, event: envelope.event }, 'dialnexa webhook: not a billing call');
      return void res.status(200).json({ ignored: true, reason: classification.reason, event: envelope.event, callId });
    }

    const inputs = buildCaseInputs({
      call,
      caseTypes: classification.caseTypes,
      candidateCaseTypes: classification.candidateCaseTypes,
      intentConfidence: analysis?.intentConfidence,
      receivedAt,
      policy: config.timings,
    });
    let cases: CaseStartResult[];
    try {
      cases = await starter.start(inputs);
    } catch (err) {
      if (err instanceof CaseStartTimeoutError || (isGrpcServiceError(err) && UNAVAILABLE.has(err.code))) {
        logger.error({ callId, err: (err as Error).message }, 'dialnexa webhook: Temporal unavailable');
        return fail(res, 503, 'temporal_unavailable', 'Temporal did not accept the cases in time; retry the delivery (it is idempotent).');
      }
      throw err;
    }
    // Checked first so a quieter level does not build the line's fields per request.
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          callId,
          event: envelope.event,
          suppressed: call.suppressed,
          reason: classification.reason,
          cases: cases.map((c) => ({ caseType: c.caseType, status: c.status })),
        },
        'dialnexa webhook: cases',
      );
    }
    // Written directly: res.json() would also hash the body for an ETag no webhook sender uses.
    trace.getActiveSpan()?.setAttribute('billing.case_count', cases.length);
    res.status(202).type('application/json').end(JSON.stringify({ callId, cases }));
  };
  router.post('/webhooks/dialnexa', express.raw({ type: () => true, limit: MAX_BODY }), tracedRoute('/webhooks/dialnexa', handleWebhook));

  // Body-parser errors on this route (too large, bad encoding) get the same JSON shape as the rest.
  router.use('/webhooks/dialnexa', (err: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.too.large') return fail(res, 413, 'payload_too_large', `Body exceeds ${MAX_BODY} (1 MiB).`);
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported')
      return fail(res, 415, 'unsupported_media_type', err.message);
    next(err);
  });
  return router;
}
