/**
 * `POST /webhooks/dialnexa` and `GET /openapi.json`. The request path does only what must happen
 * before DialNexa's 5 s deadline: verify, parse, suppress, classify, start. Enrichment (QuickBooks,
 * HubSpot, ...) happens inside the workflows. Nothing from the body is logged; log lines carry the
 * call id, event name, case types and outcomes.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { trace } from '@opentelemetry/api';
import { type Client, isGrpcServiceError } from '@temporalio/client';
import type { Config } from '../config/types';
import type { Logger } from '../logger';
import { tracedRoute } from '../observability/server-span';
import { classifyCall } from './classify';
import { readEnvelope } from './envelope';
import { openApiDocument } from './openapi';
import { freshnessCheck } from './freshness';
import { Counter, type Registry } from 'prom-client';
import { SENSITIVE_CATEGORIES, type CaseType, type IntakeNotes } from '../domain/case';
import { salvageCall } from './salvage';
import { sharedFields } from './shared-fields';
import type { FieldError } from './schema';
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
  /** Attests every case's facts (DECISION_SIGNING_KEY: only the API and the worker hold it; src/proofs/case-facts.ts). */
  factsKey: string;
  /** For tests: the arrival time stamped on cases. */
  now?: () => Date;
  /** The API's Prometheus registry: calls held for a person and stale deliveries are counted there. */
  registry?: Registry;
}

/** Prometheus counter of calls accepted but held for a person, by reason (issue 24 §1, §9). */
export const HELD_CALLS_METRIC = 'billing_intake_held_calls_total';
export const HELD_REASONS = ['unreadable_fields', 'no_case_type', 'shared_fields'] as const;

/** Analysis keys whose loss says nothing about whether the call is about money. */
const NOT_BILLING_EVIDENCE = new Set([
  'intent_confidence',
  'customer_name',
  'customer_email',
  'customer_phone',
  'transcript_url',
  'agent_id',
  'duration',
  'direction',
  'recording_url',
  'initiated_at',
  'started_at',
  'ended_at',
  'sensitive_data',
]);

function heldCallsCounter(registry: Registry): Counter<'reason'> {
  const existing = registry.getSingleMetric(HELD_CALLS_METRIC) as Counter<'reason'> | undefined;
  if (existing) return existing;
  const counter = new Counter({
    name: HELD_CALLS_METRIC,
    help: 'DialNexa calls accepted but held for a person: unreadable fields, no case type, or fields several intents share',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  // Every reason is exported from the start (at 0), so dashboards and alerts see the series.
  for (const reason of HELD_REASONS) counter.inc({ reason }, 0);
  return counter;
}

/** Error codes of the webhook's JSON errors (see openapi.ts). */
export type IntakeErrorCode =
  | 'invalid_signature'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'invalid_fields'
  | 'stale_call'
  | 'temporal_unavailable';

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
  const tooOld = freshnessCheck(config.dialnexa.maxCallAgeMs, deps.registry);
  const starter = new CaseStarter(deps.client, {
    taskQueue: config.temporal.taskQueue,
    namespace: config.temporal.namespace,
    uiUrl: config.temporal.uiUrl,
    factsKey: deps.factsKey,
  });
  const router = Router();
  const heldCalls = deps.registry ? heldCallsCounter(deps.registry) : undefined;

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

    // A field the schema cannot read is taken out and named; the rest of the call is kept (issue 24 §1).
    const salvaged = salvageCall(envelope.call, envelope.callPath);
    if (salvaged.kind === 'refused') {
      logger.warn({ event: envelope.event, fields: salvaged.errors.map((f) => f.field) }, 'dialnexa webhook: no usable call id');
      return fail(res, 422, 'invalid_fields', 'The call has no usable id; nothing was started.', salvaged.errors);
    }
    const parsed = salvaged.call;
    const { unreadable } = salvaged;

    // Freshness (src/intake/freshness.ts): a replay after Temporal forgot the workflow id must not start the case again.
    const stale = tooOld(parsed, now());
    if (stale) {
      logger.warn({ event: envelope.event }, 'dialnexa webhook: stale call refused');
      return fail(res, 422, 'stale_call', stale);
    }

    // From here on only suppressed data is used: nothing raw reaches Temporal, logs or responses.
    const call = suppressCall(parsed);
    // Sensitive data in a field that could not be read still makes the call a sensitive request.
    if (salvaged.found.length)
      call.suppressed = SENSITIVE_CATEGORIES.filter((c) => call.suppressed.includes(c) || salvaged.found.includes(c));
    const analysis = parsed.post_call_analysis;
    // DialNexa flagged sensitive data we could not read the kind of: fail closed, as for a flag the detectors missed.
    if (unreadable.some((u) => u.field === 'sensitive_data') && call.call.transcript !== undefined)
      call.call.transcript = '[transcript withheld: DialNexa flagged sensitive data that could not be read; see the transcript link]';
    const texts = [call.call.summary, call.call.transcript];
    const unknownIntents = unreadable
      .filter((u) => u.field === 'billing_intent' || u.field === 'billing_intents')
      .map((u) => u.said ?? u.field);
    let classification = classifyCall(
      {
        intents: analysis?.intents ?? [],
        intentConfidence: analysis?.intentConfidence,
        texts,
        fields: call.fields,
        suppressed: call.suppressed,
      },
      config.dialnexa.triageConfidenceThreshold,
    );
    const callId = call.call.callId;
    const named = (analysis?.intents ?? []).filter((i): i is CaseType => i !== 'none' && i !== 'triage');
    if (unknownIntents.length > 0) {
      // A request the service has no case type for: triage, as a billing question with the caller's words.
      classification = { kind: 'cases', caseTypes: ['triage'], candidateCaseTypes: named, reason: 'intent without a case type' };
    } else if (classification.kind === 'not_billing' && unreadable.some((u) => !NOT_BILLING_EVIDENCE.has(u.field))) {
      // Analysis DialNexa filled but we could not read: a person decides whether it is billing.
      classification = { kind: 'cases', caseTypes: ['triage'], candidateCaseTypes: [], reason: 'analysis fields unreadable' };
    }
    if (classification.kind === 'not_billing') {
      logger.info({ callId, event: envelope.event }, 'dialnexa webhook: not a billing call');
      return void res.status(200).json({ ignored: true, reason: classification.reason, event: envelope.event, callId });
    }
    const intents = classification.caseTypes.includes('triage') ? (classification.candidateCaseTypes ?? []) : classification.caseTypes;
    const shared = sharedFields(intents, call.fields, texts);
    const intake: IntakeNotes = {
      ...(unreadable.length ? { unreadable } : {}),
      ...(unknownIntents.length ? { unknownIntents } : {}),
      ...(shared.length ? { shared } : {}),
    };
    const held = [
      ...(unknownIntents.length ? (['no_case_type'] as const) : []),
      ...(unreadable.length > unknownIntents.length ? (['unreadable_fields'] as const) : []),
      ...(shared.length ? (['shared_fields'] as const) : []),
    ];

    const inputs = buildCaseInputs({
      call,
      caseTypes: classification.caseTypes,
      candidateCaseTypes: classification.candidateCaseTypes,
      intentConfidence: analysis?.intentConfidence,
      receivedAt,
      policy: config.timings,
      ...(held.length ? { intake } : {}),
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
    // Once per call: a redelivery that found the cases already started is not counted again.
    if (cases.some((c) => c.status === 'started')) for (const reason of held) heldCalls?.inc({ reason });
    if (held.length > 0)
      logger.warn(
        { callId, held, unreadable: unreadable.map((u) => u.field), shared: shared.map((f) => f.field) },
        'dialnexa webhook: call held for a person',
      );
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
    const answer = unreadable.length
      ? { callId, cases, unreadable: unreadable.map((u) => ({ field: u.field, message: u.why })) }
      : { callId, cases };
    res.status(202).type('application/json').end(JSON.stringify(answer));
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
