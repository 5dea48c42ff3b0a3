/**
 * What an injected fault looks like from Slack: Web API errors are HTTP 429 / 5xx with Slack's
 * JSON error body (`ratelimited`, `service_unavailable`); the sandbox core adds the status and
 * Retry-After.
 */
export function slackFaultBody(status: number): Record<string, unknown> {
  return { ok: false, error: status === 429 ? 'ratelimited' : 'service_unavailable' };
}
