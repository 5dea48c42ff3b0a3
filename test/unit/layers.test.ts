/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm run lint`) on a made-up src/ tree: every
 * upward import and every cycle is reported under the rule that forbids it, and nothing allowed is.
 * A rule that stopped matching (a renamed folder, a typo in a path pattern) fails here, not silently.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

/** file -> the files it imports (type-only imports count too, as in the real config). */
const TREE: Record<string, { imports: string[]; typeOnly?: boolean }> = {
  'src/domain/case.ts': { imports: [] },
  'src/domain/bad.ts': { imports: ['src/policy/rules.ts'] },
  'src/policy/rules.ts': { imports: ['src/domain/case.ts'] },
  'src/policy/bad.ts': { imports: ['src/connectors/qbo.ts'] },
  'src/policy/cycle-a.ts': { imports: ['src/policy/cycle-b.ts'] },
  'src/policy/cycle-b.ts': { imports: ['src/policy/cycle-a.ts'], typeOnly: true },
  'src/connectors/qbo.ts': { imports: ['src/domain/case.ts', 'src/config/load.ts'] },
  'src/connectors/bad.ts': { imports: ['src/activities/qbo.ts'] },
  'src/config/load.ts': { imports: ['src/policy/rules.ts'] },
  'src/activities/qbo.ts': { imports: ['src/connectors/qbo.ts', 'src/temporal/ids.ts'] },
  'src/activities/bad.ts': { imports: ['src/workflows/messages.ts'], typeOnly: true },
  'src/activities/sandbox.ts': { imports: ['src/sandbox/core.ts'] },
  'src/temporal/ids.ts': { imports: ['src/domain/case.ts'] },
  'src/workflows/messages.ts': { imports: ['src/domain/case.ts', 'src/activities/qbo.ts', 'src/temporal/ids.ts'] },
  'src/workflows/bad.ts': { imports: ['src/connectors/qbo.ts'] },
  'src/workflows/edge.ts': { imports: ['src/intake/routes.ts'] },
  'src/intake/routes.ts': { imports: ['src/workflows/messages.ts', 'src/config/load.ts', 'src/sandbox/core.ts'] },
  'src/intake/bad.ts': { imports: ['src/api.ts'] },
  'src/api.ts': { imports: ['src/intake/routes.ts', 'src/sandbox/core.ts'] },
  'src/sandbox/core.ts': { imports: [] },
  'src/sandbox/bad.ts': { imports: ['src/domain/case.ts'] },
};

/** What must be reported: `rule: from -> to` (a cycle once, from -> its next step; cycle-b's import is type-only, so types count). */
const EXPECTED = [
  'domain-imports-only-domain: src/domain/bad.ts -> src/policy/rules.ts',
  'policy-imports-only-domain: src/policy/bad.ts -> src/connectors/qbo.ts',
  'no-circular: src/policy/cycle-a.ts -> src/policy/cycle-b.ts',
  'plumbing-stays-below-activities: src/connectors/bad.ts -> src/activities/qbo.ts',
  'activities-stay-below-workflows: src/activities/bad.ts -> src/workflows/messages.ts',
  'activities-stay-below-workflows: src/activities/sandbox.ts -> src/sandbox/core.ts',
  'only-the-edge-knows-the-sandbox: src/activities/sandbox.ts -> src/sandbox/core.ts',
  'workflows-stay-below-the-edge: src/workflows/bad.ts -> src/connectors/qbo.ts',
  'workflows-stay-below-the-edge: src/workflows/edge.ts -> src/intake/routes.ts',
  'edge-stays-below-entry-points: src/intake/bad.ts -> src/api.ts',
  'sandbox-imports-no-service-code: src/sandbox/bad.ts -> src/domain/case.ts',
].sort();

function writeTree(dir: string): void {
  for (const [file, { imports, typeOnly }] of Object.entries(TREE)) {
    const abs = path.join(dir, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    const lines = imports.map((target, i) => {
      let spec = path.relative(path.dirname(file), target).replace(/\.ts$/, '');
      if (!spec.startsWith('.')) spec = `./${spec}`;
      return typeOnly
        ? `import type { T as T${i} } from '${spec}';\nexport type U${i} = T${i};`
        : `import { v as v${i} } from '${spec}';\nvoid v${i};`;
    });
    fs.writeFileSync(abs, [...lines, 'export type T = string;', "export const v = 'x';", ''].join('\n'));
  }
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true }, include: ['src'] }),
  );
}

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
  cycle?: { name: string }[];
}

/** The violations dependency-cruiser finds in `cwd`/src (its JSON report; the lint's exit status comes from the `err` reporter). */
function cruise(cwd: string): Violation[] {
  const res = spawnSync(
    process.execPath,
    [DEPCRUISE, 'src', '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'],
    { cwd, encoding: 'utf8', timeout: 60_000 },
  );
  assert.ok(res.stdout, `dependency-cruiser printed nothing: ${res.stderr}`);
  return (JSON.parse(res.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('layer rules (.dependency-cruiser.cjs, npm run lint)', function () {
  this.timeout(90_000);

  it('reports every upward import and every cycle under its rule, and nothing allowed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layers-'));
    try {
      writeTree(dir);
      const violations = cruise(dir);
      const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.cycle ? v.cycle[0].name : v.to}`).sort();
      assert.deepEqual(found, EXPECTED);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds on src/ with no exceptions', () => {
    assert.deepEqual(cruise(ROOT), []);
  });
});
