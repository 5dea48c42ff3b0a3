/**
 * The webhook's OpenAPI 3.1 document, generated from the same zod schemas that validate requests
 * (`GET /openapi.json`), so what is documented is what is enforced.
 */
import { z } from 'zod';
import { CASE_TYPES } from '../domain/case';
import { callSchema, postCallAnalysisSchema } from './schema';

/** Variant A: DialNexa's API-reference envelope. */
export const envelopeASchema = z
  .object({
    event_type: z.string().meta({
      description: 'call_ended starts cases; verification, call_initiated and transfer_completed are acknowledged and ignored.',
      examples: ['call_ended'],
    }),
    payload: z.object({ call: callSchema }),
  })
  .meta({ description: 'DialNexa webhook (API reference shape).' });

/** Variant B: DialNexa's monitoring-docs envelope, when it carries the call. */
export const envelopeBSchema = z
  .object({
    event: z.string().meta({
      description: 'call.analysis_ready (or call.ended with the analysis) starts cases; other events are ignored.',
      examples: ['call.analysis_ready'],
    }),
    workspace_id: z.string().optional(),
    session_id: z.string().optional(),
    agent_id: z.string().optional(),
    timestamp: z.string().optional(),
    call: callSchema,
  })
  .meta({ description: 'DialNexa webhook (monitoring docs shape).' });

/** 202: the cases this call became. */
export const acceptedResponseSchema = z
  .object({
    callId: z.string(),
    cases: z.array(
      z.object({
        caseType: z.enum(CASE_TYPES),
        workflowId: z.string().meta({ description: 'case-<caseType>-<callId>; the same for every delivery of the call.' }),
        status: z
          .enum(['started', 'existing'])
          .meta({ description: 'started: this delivery created the case; existing: an earlier delivery did.' }),
        temporalUiUrl: z.url(),
      }),
    ),
    unreadable: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({
        description:
          'Fields of the call that could not be read: left out of the cases, named to the person who reviews the case before it acts.',
      }),
  })
  .meta({ description: 'The call became these cases.' });

/** 200: acknowledged, nothing started. */
export const ignoredResponseSchema = z
  .object({
    ignored: z.literal(true),
    reason: z.string().meta({ examples: ['verification ping', 'not a billing call', 'call never connected (status hangup)'] }),
    event: z.string().optional(),
    callId: z.string().optional(),
  })
  .meta({ description: 'Acknowledged; nothing started.' });

/** 4xx/5xx: what was wrong, field by field where it applies. */
export const errorResponseSchema = z
  .object({
    error: z.enum([
      'invalid_signature',
      'malformed_json',
      'unsupported_media_type',
      'payload_too_large',
      'invalid_fields',
      'stale_call',
      'temporal_unavailable',
    ]),
    message: z.string(),
    fields: z
      .array(z.object({ field: z.string().meta({ examples: ['payload.call.post_call_analysis.amount'] }), message: z.string() }))
      .optional(),
  })
  .meta({ description: 'Nothing was started.' });

const registry = z.registry<{ id: string }>();
registry.add(envelopeASchema, { id: 'DialNexaWebhookA' });
registry.add(envelopeBSchema, { id: 'DialNexaWebhookB' });
registry.add(callSchema, { id: 'DialNexaCall' });
registry.add(postCallAnalysisSchema, { id: 'PostCallAnalysis' });
registry.add(acceptedResponseSchema, { id: 'CasesAccepted' });
registry.add(ignoredResponseSchema, { id: 'Ignored' });
registry.add(errorResponseSchema, { id: 'Error' });

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: ref(id) } } });

let cached: object | undefined;

/** The OpenAPI document (built once; it depends only on the schemas). */
export function openApiDocument(): object {
  if (cached) return cached;
  // Requests are documented as DialNexa sends them (io: input); responses as we produce them.
  const input = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }).schemas;
  const output = z.toJSONSchema(registry, { io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }).schemas;
  const strip = (s: object) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema' && k !== '$id'));
  const schemas = Object.fromEntries(
    Object.keys(input).map((id) => [id, strip(['CasesAccepted', 'Ignored', 'Error'].includes(id) ? output[id] : input[id])]),
  );
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'DialNexa billing handoffs: intake',
      version: '1.0.0',
      description:
        'Receives DialNexa post-call webhooks and turns billing calls into Temporal workflows. Card numbers, bank details and tax identifiers are suppressed before anything is stored.',
    },
    paths: {
      '/webhooks/dialnexa': {
        post: {
          summary: 'A DialNexa call event',
          description:
            'Signed with X-DialNexa-Signature (or x-nexa-signature): HMAC-SHA256 of the raw body with the webhook secret, hex, with or without a sha256= prefix. Body at most 1 MiB. Idempotent per (call id, case type).',
          parameters: [
            {
              name: 'X-DialNexa-Signature',
              in: 'header',
              required: false,
              schema: { type: 'string', pattern: '^(sha256=)?[0-9a-fA-F]{64}$' },
              description: 'Required unless x-nexa-signature is sent.',
            },
            {
              name: 'x-nexa-signature',
              in: 'header',
              required: false,
              schema: { type: 'string' },
              description: 'Alternate spelling of the signature header.',
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { oneOf: [ref('DialNexaWebhookA'), ref('DialNexaWebhookB')] } } },
          },
          responses: {
            '200': json(
              'Ignored',
              'Acknowledged, nothing started (verification ping, unfinished or unconnected call, not a billing call).',
            ),
            '202': json(
              'CasesAccepted',
              'Cases started, or found from an earlier delivery. Fields that could not be read are named (`unreadable`); the call is kept and held for a person.',
            ),
            '400': json('Error', 'The body is not valid JSON.'),
            '401': json('Error', 'Signature missing or wrong.'),
            '413': json('Error', 'Body over 1 MiB.'),
            '415': json('Error', 'Content-Type is not JSON.'),
            '422': json(
              'Error',
              'Not a usable DialNexa call (no event, no call object, or no usable call id; each problem is named), or the call ended longer ago than WEBHOOK_MAX_CALL_AGE (`stale_call`).',
            ),
            '503': json('Error', 'Temporal did not accept the starts in time; retry (starts are idempotent).'),
          },
        },
      },
    },
    components: { schemas },
  };
  return cached;
}
