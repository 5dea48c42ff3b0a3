import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load';
import { envSchema } from '../../src/config/schema';

/** The configuration reference (the README links to it). */
const REFERENCE = path.join(__dirname, '..', '..', 'docs', 'configuration.md');

/** Rows of the configuration reference: `| \`NAME\` | default | meaning |` between the markers. */
function documentedReference(): Map<string, string> {
  const doc = fs.readFileSync(REFERENCE, 'utf8');
  const start = doc.indexOf('<!-- config-reference:start -->');
  const end = doc.indexOf('<!-- config-reference:end -->');
  assert.ok(start !== -1 && end > start, 'docs/configuration.md has the config-reference markers');
  const rows = new Map<string, string>();
  for (const line of doc.slice(start, end).split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]*?)\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!m) continue;
    assert.ok(!rows.has(m[1]), `${m[1]} is listed once`);
    assert.ok(m[3].length > 0, `${m[1]} has a meaning`);
    rows.set(m[1], m[2]);
  }
  return rows;
}

/** The default zod applies when the variable is unset, as the reference should print it. */
function schemaDefault(name: string): string {
  const field = (envSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>)[name];
  const r = field.safeParse(undefined);
  if (!r.success) return 'required';
  if (r.data === undefined) return '—';
  if (r.data === '') return '(empty)';
  return `\`${String(r.data)}\``;
}

describe('configuration reference (docs/configuration.md)', () => {
  it('lists exactly the variables of src/config/schema.ts envSchema', () => {
    const documented = [...documentedReference().keys()].sort();
    const inCode = Object.keys(envSchema.shape).sort();
    const missing = inCode.filter((k) => !documented.includes(k));
    const extra = documented.filter((k) => !inCode.includes(k));
    assert.deepEqual(
      { missing, extra },
      { missing: [], extra: [] },
      'document new variables in docs/configuration.md (config-reference table) and remove old ones',
    );
  });

  it('shows the default the code applies for each variable', () => {
    const rows = documentedReference();
    const wrong = [...rows]
      .filter(([name, shown]) => name in envSchema.shape && shown !== schemaDefault(name))
      .map(([name, shown]) => `${name}: docs/configuration.md says ${shown}, code has ${schemaDefault(name)}`);
    assert.deepEqual(wrong, []);
  });

  it('names the variable in the start-up error for every value it rejects', () => {
    const rejected: string[] = [];
    for (const name of Object.keys(envSchema.shape)) {
      try {
        loadConfig({ [name]: '%%not valid%%' });
      } catch (err) {
        assert.ok(err instanceof ConfigError, `${name}: a ConfigError, not ${String(err)}`);
        assert.match(err.message, new RegExp(`\\b${name}\\b`), `${name}: the error names the variable`);
        rejected.push(name);
      }
    }
    // Numbers, ports, URLs, enums, durations and secrets with a minimum length all refuse garbage.
    for (const name of [
      'HTTP_PORT',
      'LOG_LEVEL',
      'TEMPORAL_RETENTION_DAYS',
      'TEMPORAL_METRICS_BIND_ADDRESS',
      'APPROVAL_TIMEOUT',
      'SKYFIRE_API_BASE_URL',
      'GMAIL_SENDER',
      'API_TOKEN',
    ]) {
      assert.ok(rejected.includes(name), `${name} rejects a malformed value`);
    }
  });

  it('marks every variable production refuses to start without as **Required in production** (issue 22)', () => {
    let message = '';
    try {
      // Connectors named as sandboxed: what is left is what production needs besides credentials.
      loadConfig({ NODE_ENV: 'production', SANDBOX_SYSTEMS: 'all' });
    } catch (err) {
      message = (err as Error).message;
    }
    const required = [...message.matchAll(/^ {2}- ([A-Z][A-Z0-9_]*): required (?:in production|outside development)/gm)].map((m) => m[1]);
    for (const name of ['APPROVERS', 'SECOND_TIER_APPROVERS', 'SLACK_FINANCE_CHANNEL', 'API_TOKEN', 'CODEC_KEYS', 'DECISION_SIGNING_KEY'])
      assert.ok(required.includes(name), `${name} is required in production`);
    const doc = fs.readFileSync(REFERENCE, 'utf8');
    const unmarked = required.filter((name) => !new RegExp(`^\\| \`${name}\` \\|[^\\n]*\\*\\*Required in production\\*\\*`, 'm').test(doc));
    assert.deepEqual(unmarked, [], 'docs/configuration.md marks these **Required in production**');
  });
});
