/**
 * The audit export on the command line: one row per decision and per money movement of the cases
 * active in a time range, read from Temporal (src/cases/export.ts; the same rows as GET /cases/export).
 *
 *   npm run cases:export -- --from 2026-12-01 --to 2026-12-02              # CSV to stdout
 *   npm run cases:export -- --from 2026-12-01T09:00:00Z --to 2026-12-01T17:00:00Z --format json --out day.json
 *
 * Connects like the service does (TEMPORAL_ADDRESS or the local dev server, with the payload codec).
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { loadConfig, ConfigError } from '../src/config/load';
import { connectClient } from '../src/api';
import { exportRows, parseBound, writeExport } from '../src/cases/export';

const USAGE = 'usage: npm run cases:export -- --from <date|date-time> --to <date|date-time> [--format csv|json] [--out <file>]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(args: string[]): { from: Date; to: Date; format: 'csv' | 'json'; out?: string } {
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const [name, value] = [args[i], args[i + 1]];
    if (!['--from', '--to', '--format', '--out'].includes(name)) fail(`unknown option ${name}`);
    if (value === undefined || value.startsWith('--')) fail(`${name} needs a value`);
    values[name] = value;
  }
  const from = parseBound(values['--from'] ?? '');
  const to = parseBound(values['--to'] ?? '');
  if (!from || !to) fail('--from and --to are dates (2026-12-01) or date-times with zone (2026-12-01T09:00:00Z)');
  if (from >= to) fail('--from must be before --to');
  const format = values['--format'] ?? 'csv';
  if (format !== 'csv' && format !== 'json') fail('--format is csv or json');
  return { from, to, format, out: values['--out'] };
}

async function main(): Promise<void> {
  const { from, to, format, out } = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const client = await connectClient(config);
  const sink: Writable = out ? fs.createWriteStream(out) : process.stdout;
  try {
    const n = await writeExport(exportRows(client, { from, to }), format, async (chunk) => {
      if (!sink.write(chunk)) await once(sink, 'drain');
    });
    if (out) {
      sink.end();
      await once(sink, 'finish');
    }
    console.error(`cases:export: ${n} rows (${from.toISOString()} to ${to.toISOString()})${out ? ` in ${out}` : ''}`);
  } finally {
    await client.connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `cases:export failed: ${(err as Error).message}`);
  process.exit(1);
});
