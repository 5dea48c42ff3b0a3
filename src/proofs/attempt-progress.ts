/**
 * What an activity attempt leaves the next one (its heartbeat details), authenticated.
 *
 * Several steps resume from an earlier attempt's progress: the Zendesk ticket it chose after the
 * ownership check, the comments it wrote, the Gmail draft it made, the Drive ids it took. Heartbeat
 * details are not the worker's own: anyone with access to the Temporal namespace can record
 * heartbeat details for a running activity (`RecordActivityTaskHeartbeatById`), and the payload
 * codec lets plaintext payloads through. Outside review (stop 29) did exactly that: forged
 * `{ ticketId: <another customer's ticket>, callers: true }` made the next attempt skip the
 * ownership check and write a case's public comments into another customer's ticket.
 *
 * So progress is kept with an HMAC-SHA256 (a key derived from the decision key, which only the API
 * and the worker hold) over the case's workflow id, the activity's id and type, the activity's
 * input and the progress itself. Details without a valid MAC (forged, from another input, from
 * code before this format) are ignored: the attempt starts over, which every resuming step allows
 * (each of its writes is idempotent on its own key). Pure: the activity side is
 * src/activities/progress.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './case-facts';

const FORMAT = 'dialnexa-billing-attempt-progress';
const VERSION = 1;

/** What the progress is bound to: one activity execution of one case, with one input. */
export interface ProgressBinding {
  workflowId: string;
  activityId: string;
  activityType: string;
  input: unknown;
}

/** The heartbeat details as written: the progress and its MAC. */
export interface SignedProgress<T> {
  progress: T;
  mac: string;
}

function progressKey(key: string): Buffer {
  return createHmac('sha256', key).update(`${FORMAT}/key/v${VERSION}`, 'utf8').digest();
}

function mac(key: string, b: ProgressBinding, progress: unknown): Buffer {
  const text = JSON.stringify([
    FORMAT,
    VERSION,
    b.workflowId,
    b.activityId,
    b.activityType,
    canonicalJson(b.input),
    canonicalJson(progress),
  ]);
  return createHmac('sha256', progressKey(key)).update(text, 'utf8').digest();
}

export function signProgress<T>(key: string, b: ProgressBinding, progress: T): SignedProgress<T> {
  return { progress, mac: mac(key, b, progress).toString('base64url') };
}

/** The progress, when `details` were signed by this key for this binding; otherwise undefined. */
export function verifyProgress<T>(key: string, b: ProgressBinding, details: unknown): T | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const d = details as Partial<SignedProgress<T>>;
  if (typeof d.mac !== 'string' || !('progress' in d)) return undefined;
  const given = Buffer.from(d.mac, 'base64url');
  const expected = mac(key, b, d.progress);
  return given.length === expected.length && timingSafeEqual(given, expected) ? d.progress : undefined;
}
