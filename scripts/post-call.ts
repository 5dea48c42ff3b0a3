/**
 * Posts a DialNexa call fixture, signed like DialNexa signs it, to a running service:
 *
 *   npm run call -- refund_request                  # a fresh call id each time
 *   npm run call -- refund_request --call-id call_demo1   # same id again = idempotent redelivery
 *   npm run call -- --list
 *
 * Options: --url <base> (default PUBLIC_BASE_URL / http://localhost:HTTP_PORT), --call-id <id>,
 * --header x-nexa-signature (the alternate header spelling). The secret is DIALNEXA_WEBHOOK_SECRET,
 * or the local dev secret the service created under DATA_DIR (src/dev-secrets.ts).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config/load';
import { devSecret } from '../src/dev-secrets';
import { signDialNexaBody } from '../src/intake/signature';
import { freshDelivery, withCallId, type CallFixture } from './call-fixture';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures', 'calls');

function usage(message?: string): never {
  const names = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''));
  if (message) console.error(message);
  console.error(
    `usage: npm run call -- <fixture> [--url <base>] [--call-id <id>] [--header x-nexa-signature]\nfixtures: ${names.join(', ')}`,
  );
  process.exit(message ? 2 : 0);
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const v = args[i + 1];
  if (!v || v.startsWith('--')) usage(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--list') || args.includes('--help')) usage();
  const config = loadConfig();
  const baseUrl = (option(args, '--url') ?? config.http.publicBaseUrl).replace(/\/$/, '');
  const callId = option(args, '--call-id') ?? `call_${randomBytes(6).toString('hex')}`;
  const header = option(args, '--header') ?? 'X-DialNexa-Signature';
  const name = args[0];
  if (!name) usage('name a fixture');
  const file = path.join(FIXTURES, `${path.basename(name)}.json`);
  if (!fs.existsSync(file)) usage(`no fixture "${name}"`);

  // The recording and transcript links carry the call id too: they follow it.
  const body = freshDelivery(withCallId(JSON.parse(fs.readFileSync(file, 'utf8')) as CallFixture, callId));
  const raw = JSON.stringify(body);
  // The same secret the service uses: configured, or the local one it created on first run.
  const secret = config.dialnexa.webhookSecret ?? devSecret(config.dataDir, 'dialnexa-webhook');
  const res = await fetch(`${baseUrl}/webhooks/dialnexa`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'DialNexa-External-Webhook/1.0 (npm run call)',
      [header]: signDialNexaBody(raw, secret),
    },
    body: raw,
  });
  const text = await res.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: print as is
  }
  console.log(`POST ${baseUrl}/webhooks/dialnexa  (${name}, call ${callId})\n${res.status} ${res.statusText}\n${shown}`);
  if (!res.ok) process.exit(1);
}

main().catch((err: Error & { cause?: { code?: string } }) => {
  console.error(
    err.cause?.code === 'ECONNREFUSED' ? 'The service is not running there: start it with `npm start` (or pass --url).' : err.message,
  );
  process.exit(1);
});
