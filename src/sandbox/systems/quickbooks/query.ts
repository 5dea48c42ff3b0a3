/**
 * QuickBooks' query language as the service and client libraries use it (`select ... from
 * <Entity> where ... orderby ... startposition ... maxresults`, `count(*)`): parsed, then run over
 * the company's entities with QuickBooks' paging limits.
 */
import { ENTITY_PATHS, type Json } from './seed';

const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

type Cond = { field: string; op: string; values: string[] };
export type ParsedQuery = {
  count: boolean;
  fields: string[] | '*';
  entity: string;
  where: Cond[];
  orderBy?: { field: string; desc: boolean };
  start: number;
  max: number;
};

/**
 * The query language QuickBooks documents (and node-quickbooks writes):
 *   SELECT * | count(*) | f1, f2 FROM Entity [WHERE f op v [AND ...]] [ORDERBY f [ASC|DESC]]
 *   [STARTPOSITION n] [MAXRESULTS n]
 * with `=, <, >, <=, >=, IN ('a','b'), LIKE '%x%'`, single-quoted strings (`\'` escapes a quote),
 * keywords in any case, no OR. Returns an error text in QuickBooks' words on anything else.
 */
export function parseQuery(q: string): ParsedQuery | string {
  const tokens: string[] = [];
  const re = /\s*(?:'((?:\\.|[^'\\])*)'|(<=|>=|=|<|>|\(|\)|,|\*)|([\w.]+(?:\(\*\))?))/gy;
  let pos = 0;
  const src = q.trim();
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) return `QueryParserError: Encountered "${src.slice(pos, pos + 10)}" at column ${pos + 1}`;
    tokens.push(m[1] !== undefined ? `'${m[1].replace(/\\(.)/g, '$1')}` : (m[2] ?? m[3]));
    pos = re.lastIndex;
    while (src[pos] === ' ' || src[pos] === '\t' || src[pos] === '\n') pos++;
  }
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const next = () => tokens[i++];
  const expect = (kw: string) => (peek() === kw ? (i++, true) : false);
  if (!expect('select')) return 'QueryParserError: Encountered an unsupported or malformed query: expected SELECT';
  let count = false;
  let fields: string[] | '*' = '*';
  if (peek() === 'count(*)') {
    count = true;
    i++;
  } else if (!expect('*')) {
    fields = [];
    do fields.push(next() ?? '');
    while (expect(','));
  }
  if (!expect('from')) return 'QueryParserError: expected FROM';
  const entity = next();
  if (!entity || !/^\w+$/.test(entity)) return 'QueryParserError: expected an entity after FROM';
  const where: Cond[] = [];
  const value = (): string | undefined =>
    tokens[i]?.startsWith("'")
      ? next().slice(1)
      : /^-?\d+(\.\d+)?$/.test(tokens[i] ?? '') || /^(true|false)$/i.test(tokens[i] ?? '')
        ? next()
        : undefined;
  if (expect('where')) {
    do {
      const field = next();
      const op = (next() ?? '').toLowerCase();
      if (!field || !/^[\w.]+$/.test(field)) return 'QueryParserError: expected a property name in WHERE';
      if (op === 'in') {
        if (!expect('(')) return 'QueryParserError: expected ( after IN';
        const values: string[] = [];
        do {
          const v = value();
          if (v === undefined) return 'QueryParserError: expected a value in IN list';
          values.push(v);
        } while (expect(','));
        if (!expect(')')) return 'QueryParserError: expected ) after IN list';
        where.push({ field, op, values });
      } else if (['=', '<', '>', '<=', '>=', 'like'].includes(op)) {
        const v = value();
        if (v === undefined) return `QueryParserError: expected a value after ${op}`;
        where.push({ field, op, values: [v] });
      } else return `QueryParserError: unsupported operator "${op}"`;
    } while (expect('and'));
    if (peek() === 'or') return 'QueryParserError: OR is not supported';
  }
  let orderBy: ParsedQuery['orderBy'];
  if (expect('orderby')) {
    const field = next();
    if (!field) return 'QueryParserError: expected a property after ORDERBY';
    const desc = peek() === 'desc';
    if (peek() === 'asc' || peek() === 'desc') i++;
    orderBy = { field, desc };
  }
  let start = 1;
  let max = DEFAULT_PAGE;
  for (;;) {
    if (expect('startposition')) {
      start = Number(next());
      if (!Number.isInteger(start) || start < 1) return 'QueryValidationError: STARTPOSITION must be a positive integer';
    } else if (expect('maxresults')) {
      max = Number(next());
      if (!Number.isInteger(max) || max < 1) return 'QueryValidationError: MAXRESULTS must be a positive integer';
    } else break;
  }
  if (i < tokens.length) return `QueryParserError: Encountered "${tokens[i]}" after the query`;
  // QuickBooks answers at most 1000 rows however large MAXRESULTS is.
  return { count, fields, entity, where, ...(orderBy ? { orderBy } : {}), start, max: Math.min(max, MAX_PAGE) };
}

export function runQuery(
  db: Map<string, Map<string, Json>>,
  q: string,
): { entity: string; rows: Json[]; start: number; count?: number } | string {
  const p = parseQuery(q);
  if (typeof p === 'string') return p;
  const entity = Object.values(ENTITY_PATHS).find((e) => e.toLowerCase() === p.entity.toLowerCase());
  if (!entity) return `QueryValidationError: Invalid entity ${p.entity}`;
  const get = (row: Json, field: string): unknown => {
    let v: unknown = row;
    for (const part of field.split('.'))
      v =
        v && typeof v === 'object'
          ? (v as Json)[Object.keys(v as Json).find((k) => k.toLowerCase() === part.toLowerCase()) ?? part]
          : undefined;
    // Reference and email fields compare by their value (CustomerRef = '101', PrimaryEmailAddr = 'a@b').
    if (v && typeof v === 'object') return 'value' in (v as Json) ? (v as Json).value : (v as Json).Address;
    return v;
  };
  const cmp = (a: unknown, b: string): number => {
    const da = typeof a === 'string' && /^\d{4}-\d\d-\d\d/.test(a) ? Date.parse(a) : NaN;
    const db2 = /^\d{4}-\d\d-\d\d/.test(b) ? Date.parse(b) : NaN;
    if (!Number.isNaN(da) && !Number.isNaN(db2)) return da - db2;
    const [na, nb] = [Number(a), Number(b)];
    if (a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
    return String(a ?? '').localeCompare(b);
  };
  const like = (v: unknown, pattern: string) =>
    new RegExp(
      `^${pattern
        .split('%')
        .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      'i',
    ).test(String(v ?? ''));
  let rows = [...db.get(entity)!.values()].filter((row) =>
    p.where.every(({ field, op, values }) => {
      const v = get(row, field);
      if (v === undefined) return false;
      if (op === 'in') return values.some((x) => String(v) === x);
      if (op === 'like') return like(v, values[0]);
      if (op === '=') return String(v) === values[0];
      const c = cmp(v, values[0]);
      return op === '>' ? c > 0 : op === '<' ? c < 0 : op === '>=' ? c >= 0 : c <= 0;
    }),
  );
  if (p.count) return { entity, rows: [], start: 1, count: rows.length };
  // Without ORDERBY rows come in Id order, which keeps STARTPOSITION pages stable.
  const order = p.orderBy ?? { field: 'Id', desc: false };
  rows = rows.sort((a, b) => cmp(get(a, order.field), String(get(b, order.field) ?? '')) * (order.desc ? -1 : 1));
  const page = rows.slice(p.start - 1, p.start - 1 + p.max);
  const fields = p.fields;
  return {
    entity,
    start: p.start,
    rows:
      fields === '*'
        ? page
        : page.map((r) =>
            Object.fromEntries(Object.entries(r).filter(([k]) => k === 'Id' || fields.some((f) => f.toLowerCase() === k.toLowerCase()))),
          ),
  };
}
