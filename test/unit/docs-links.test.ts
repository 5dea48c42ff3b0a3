/**
 * The docs are a map (issue 23): the README stays short, every relative link in the README and
 * docs/ leads to a file that exists (and to a heading that exists, when it names one), and every
 * `docs/product.md §N` the code cites is a section of docs/product.md.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const README_MAX_LINES = 200;

/** The Markdown files whose links are checked: the README, docs/, and the other top-level docs. */
function markdownFiles(): string[] {
  const top = ['README.md', 'RELIABILITY.md', 'BENCHMARKS.md'].filter((f) => fs.existsSync(path.join(ROOT, f)));
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return [...top, ...docs];
}

/** Fenced code blocks blanked out, keeping the line count (so line numbers stay true). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ''));
}

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

/** Inline links `[text](target)` and `[text](<target>)`, with their line numbers. */
export function links(markdown: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  prose(markdown)
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: m[1], line: i + 1 });
    });
  return out;
}

/** GitHub's anchor for a heading: lower case, inline markup dropped, punctuation removed, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown file offers (duplicates numbered as GitHub numbers them). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** What is wrong with the links of one file (`file` relative to `root`). */
export function brokenLinks(root: string, file: string, markdown: string): string[] {
  const problems: string[] = [];
  for (const { target, line } of links(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not ours to check here
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const where = `${file}:${line} -> ${target}`;
    if (pathPart === '') {
      if (anchor && !anchors(markdown).has(anchor)) problems.push(`${where}: no heading with that anchor`);
      continue;
    }
    const resolved = path.resolve(path.dirname(path.join(root, file)), decodeURI(pathPart));
    if (!resolved.startsWith(root + path.sep)) {
      problems.push(`${where}: outside the repository`);
      continue;
    }
    if (!fs.existsSync(resolved)) {
      problems.push(`${where}: no such file`);
      continue;
    }
    if (anchor && resolved.endsWith('.md')) {
      if (!anchors(fs.readFileSync(resolved, 'utf8')).has(anchor)) problems.push(`${where}: no heading with that anchor`);
    }
  }
  return problems;
}

/** Source and test files, for the `docs/product.md §N` citations. */
function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(rel);
    return /\.(ts|cjs|js)$/.test(e.name) ? [rel] : [];
  });
}

describe('the docs are a map', () => {
  it(`README.md is at most ${README_MAX_LINES} lines`, () => {
    const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines: move detail into docs/ and link it`);
  });

  it('the README keeps its two commands, the test command being the one CI runs', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /^npm ci && npm start {5}# runs the service end to end/m);
    assert.match(readme, /^npm ci && npm test {6}# installs what is missing, then runs every test/m);
    assert.match(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8'), /^npm test$/m);
  });

  it('the README links every document in docs/', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const linked = new Set(links(readme).map((l) => l.target.split('#')[0]));
    const missing = markdownFiles().filter((f) => f !== 'README.md' && !linked.has(f));
    assert.deepEqual(missing, []);
  });

  it('every relative link in README.md and docs/ resolves to a file, and to a heading when it names one', () => {
    const problems = markdownFiles().flatMap((file) => brokenLinks(ROOT, file, fs.readFileSync(path.join(ROOT, file), 'utf8')));
    assert.deepEqual(problems, []);
  });

  it('the checker itself finds a missing file, a missing anchor and ignores code', () => {
    const md = [
      '# Top',
      '## Section: `one` (two)',
      '[ok](#section-one-two) [ok](README.md#dialnexa-billing-handoffs) [web](https://example.com/x)',
      '[gone](docs/nowhere.md) [bad anchor](#no-such-heading)',
      '```',
      '[in a fence](docs/also-nowhere.md)',
      '```',
      '`[inline](docs/inline-nowhere.md)`',
    ].join('\n');
    assert.deepEqual(brokenLinks(ROOT, 'sample.md', md), [
      'sample.md:4 -> docs/nowhere.md: no such file',
      'sample.md:4 -> #no-such-heading: no heading with that anchor',
    ]);
    assert.equal(slug("The money ledger's database (`LEDGER_DATABASE_URL`)"), 'the-money-ledgers-database-ledger_database_url');
  });

  it('every docs/product.md §N cited in src/ and test/ is a section of docs/product.md', () => {
    const product = fs.readFileSync(path.join(ROOT, 'docs', 'product.md'), 'utf8');
    const sections = new Set([...product.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
    assert.ok(sections.size >= 8, 'docs/product.md keeps its numbered sections');
    const wrong: string[] = [];
    let cited = 0;
    for (const file of [...sourceFiles('src'), ...sourceFiles('test')]) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/product\.md §(\d+)(?:-(\d+))?/g)) {
        const before = text.slice(Math.max(0, m.index - 5), m.index);
        if (before !== 'docs/') wrong.push(`${file}: "${m[0]}" without docs/`);
        const from = Number(m[1]);
        const to = m[2] ? Number(m[2]) : from;
        for (let n = from; n <= to; n++) if (!sections.has(n)) wrong.push(`${file}: §${n} is not a section of docs/product.md`);
        cited++;
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(cited > 0, 'the code cites docs/product.md');
  });
});
