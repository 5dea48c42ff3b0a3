/**
 * Dates in the customer's terms (issue 24 §7). A date-only deadline ("pay by Dec 10") means the end
 * of that day where the business (or the account, when the CRM names its time zone) is, not 00:00
 * UTC; a deadline already past when the call arrived is flagged to the owner, not demanded from the
 * customer; every date a person reads is written for people (Slack's `<!date^…>` token in Slack, so
 * each reader sees their own time zone). Pure; Intl only (deterministic in the workflow sandbox).
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for an IANA time zone Intl knows (`America/Chicago`, `UTC`). */
export function isTimeZone(tz: string | undefined): tz is string {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * HubSpot's `hs_timezone` ("america_slash_los_angeles") as an IANA zone ("America/Los_Angeles");
 * undefined when it is not one.
 */
export function fromHubSpotTimeZone(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const tz = value
    .trim()
    .replace(/_slash_/g, '/')
    .split('/')
    .map((part) => part.replace(/(^|_)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase()))
    .join('/');
  if (isTimeZone(tz)) return tz;
  return isTimeZone(value) ? value : undefined;
}

/** Local wall-clock time minus UTC, in ms, of `tz` at the instant `t`. */
function offsetMs(t: number, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(t));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return local - Math.floor(t / 1000) * 1000;
}

/** The last millisecond of a calendar day (YYYY-MM-DD) in `tz`. */
export function endOfDay(date: string, tz: string): number {
  const m = DATE_ONLY.exec(date);
  if (!m) return NaN;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999);
  let t = wall - offsetMs(wall, tz);
  // Across a DST change the offset at the result differs from the first guess: settle once more.
  t = wall - offsetMs(t, tz);
  return t;
}

/** A deadline as an instant: a date-only value is the end of that day in `tz`; a timestamp is itself. */
export function deadlineInstant(value: string, tz: string): number {
  return DATE_ONLY.test(value) ? endOfDay(value, tz) : Date.parse(value);
}

/** "Thu, Dec 10, 2026" (date) or "Thu, Dec 10, 2026, 11:59 PM CST" (with time), in `tz`. */
export function humanDate(at: number | string, tz = 'UTC', withTime = false): string {
  const t = typeof at === 'number' ? at : DATE_ONLY.test(at) ? endOfDay(at, tz) : Date.parse(at);
  if (!Number.isFinite(t)) return String(at);
  return new Intl.DateTimeFormat('en-US', {
    timeZone: isTimeZone(tz) ? tz : 'UTC',
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    year: 'numeric',
    ...(withTime ? { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' } : {}),
  }).format(new Date(t));
}

/** Slack's date token: each reader sees it in their own time zone; the fallback names the business zone. */
export function slackDate(at: number | string, tz = 'UTC'): string {
  const t = typeof at === 'number' ? at : DATE_ONLY.test(at) ? endOfDay(at, tz) : Date.parse(at);
  if (!Number.isFinite(t)) return String(at);
  return `<!date^${Math.floor(t / 1000)}^{date_short_pretty} at {time}|${humanDate(t, tz, true)}>`;
}
