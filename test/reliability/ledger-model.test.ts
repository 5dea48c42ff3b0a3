/**
 * A model-based test of the money ledger (src/ledger/store.ts) on the run's real PostgreSQL:
 * fast-check draws random sequences of reservations (alone and racing), settlements (in full or a
 * partial charge), releases (token expiry, a refused write), pay-token stages (a create sent, its
 * answer lost or refused), and the retries, crashes and resets that run a case step again, across
 * several cases and invoices; cancellations and terminations leave a case's entry as it was. After
 * every step the ledger is compared with a plain model of what was reserved, paid and refunded,
 * and the invariant settled + pending <= paid is checked per invoice.
 *
 * Size: LEDGER_MODEL_RUNS sequences (default 30 in `npm test`; `npm run test:reliability:full`
 * runs 500) of up to LEDGER_MODEL_STEPS steps (40; 80). The numbers run are printed.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LedgerConflictError, type LedgerEntry } from '../../src/ledger/entries';
import type { Ledger } from '../../src/ledger/store';
import { newTestLedger, truncateTestLedger } from '../support/ledger';

const REALM = 'model-realm';
/** Invoices and what was paid on each (minor units), across two customers. */
const INVOICES = [
  { id: 'inv-a', customer: 'c1', paid: 5000 },
  { id: 'inv-b', customer: 'c1', paid: 1200 },
  { id: 'inv-c', customer: 'c2', paid: 100 },
];
const CASES = 6;

interface ModelEntry {
  invoice: number;
  amount: number;
  state: 'pending' | 'settled' | 'released';
  settled: number;
  token: 'none' | 'creating' | 'created';
  attempt: number;
}
interface Model {
  entries: Map<string, ModelEntry>;
}
interface Real {
  ledger: Ledger;
}

const keyOf = (c: number) => `case-${c}/refund.record`;
const committed = (m: Model, invoice: number) =>
  [...m.entries.values()]
    .filter((e) => e.invoice === invoice)
    .reduce((s, e) => s + (e.state === 'pending' ? e.amount : e.state === 'settled' ? e.settled : 0), 0);

function request(c: number, invoice: number, amount: number) {
  const inv = INVOICES[invoice];
  return {
    key: keyOf(c),
    realm: REALM,
    customerId: inv.customer,
    invoiceId: inv.id,
    invoiceDoc: inv.id.toUpperCase(),
    caseId: `case-${c}`,
    step: 'refund.record',
    kind: 'refund_receipt' as const,
    route: 'skyfire' as const,
    currency: 'USD',
    amountMinor: amount,
    refundableMinor: inv.paid,
    windowMs: 7 * 86_400_000,
  };
}

/** Applies a reservation to the model the way the ledger must: found again, reserved within the bound, or refused. */
function modelReserve(m: Model, c: number, invoice: number, amount: number): 'existed' | 'reserved' | 'refused' {
  if (m.entries.has(keyOf(c))) return 'existed';
  if (committed(m, invoice) + amount > INVOICES[invoice].paid) return 'refused';
  m.entries.set(keyOf(c), { invoice, amount, state: 'pending', settled: 0, token: 'none', attempt: 0 });
  return 'reserved';
}

async function check(m: Model, r: Real): Promise<void> {
  const rows = await r.ledger.entries(REALM);
  for (let i = 0; i < INVOICES.length; i++) {
    const used = rows
      .filter((e) => e.invoiceId === INVOICES[i].id)
      .reduce((s, e) => s + (e.state === 'pending' ? e.amountMinor : e.state === 'settled' ? e.settledMinor : 0), 0);
    assert.ok(used <= INVOICES[i].paid, `invariant: settled + pending ${used} <= paid ${INVOICES[i].paid} on ${INVOICES[i].id}`);
  }
  const got = Object.fromEntries(
    rows.map((e: LedgerEntry) => [e.key, { state: e.state, settled: e.settledMinor, token: e.tokenStage, amount: e.amountMinor }]),
  );
  const want = Object.fromEntries(
    [...m.entries].map(([k, e]) => [k, { state: e.state, settled: e.settled, token: e.token, amount: e.amount }]),
  );
  assert.deepEqual(got, want);
}

type Cmd = fc.AsyncCommand<Model, Real>;
let steps = 0;

class Reserve implements Cmd {
  constructor(
    readonly c: number,
    readonly invoice: number,
    readonly amount: number,
    readonly why: 'first' | 'retry' | 'reset' | 'crash',
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    const before = m.entries.get(keyOf(this.c));
    const expect = modelReserve(m, this.c, this.invoice, this.amount);
    const res = await r.ledger.reserve(request(this.c, this.invoice, this.amount), () => null);
    if (expect === 'refused') assert.equal(res.status, 'refused');
    else {
      assert.equal(res.status, 'reserved');
      if (res.status === 'reserved') {
        assert.equal(res.existed, expect === 'existed', 'a retry, crash or reset finds its entry; a first reservation makes one');
        // Found again unchanged: same amount and invoice as the first time, whatever this attempt asked.
        if (before) assert.equal(res.entry.amountMinor, before.amount);
      }
    }
    await check(m, r);
  }
  toString = () => `Reserve(${this.why} case ${this.c}, ${INVOICES[this.invoice].id}, ${this.amount})`;
}

class RaceReserve implements Cmd {
  constructor(
    readonly c1: number,
    readonly c2: number,
    readonly invoice: number,
    readonly a1: number,
    readonly a2: number,
  ) {}
  check = (m: Readonly<Model>) => this.c1 !== this.c2 && !m.entries.has(keyOf(this.c1)) && !m.entries.has(keyOf(this.c2));
  async run(m: Model, r: Real) {
    steps++;
    const [x, y] = await Promise.all([
      r.ledger.reserve(request(this.c1, this.invoice, this.a1), () => null),
      r.ledger.reserve(request(this.c2, this.invoice, this.a2), () => null),
    ]);
    const left = INVOICES[this.invoice].paid - committed(m, this.invoice);
    // Either order is a correct serialization; the ledger must match one of them.
    const orders = [
      [this.a1 <= left, this.a2 <= left - (this.a1 <= left ? this.a1 : 0)],
      [this.a1 <= left - (this.a2 <= left ? this.a2 : 0), this.a2 <= left],
    ];
    const got = [x.status === 'reserved', y.status === 'reserved'];
    assert.ok(
      orders.some((o) => o[0] === got[0] && o[1] === got[1]),
      `racing reservations of ${this.a1} and ${this.a2} with ${left} left: ${got}`,
    );
    if (got[0]) modelReserve(m, this.c1, this.invoice, this.a1);
    if (got[1]) modelReserve(m, this.c2, this.invoice, this.a2);
    await check(m, r);
  }
  toString = () => `RaceReserve(case ${this.c1} ${this.a1} vs case ${this.c2} ${this.a2} on ${INVOICES[this.invoice].id})`;
}

class Settle implements Cmd {
  /** `share` of the reservation was charged (1 = in full; less = a partial charge at the window's end). */
  constructor(
    readonly c: number,
    readonly share: number,
  ) {}
  check = (m: Readonly<Model>) => m.entries.has(keyOf(this.c));
  async run(m: Model, r: Real) {
    steps++;
    const e = m.entries.get(keyOf(this.c))!;
    const amount = Math.floor(e.amount * this.share);
    const attempt = r.ledger.settle(keyOf(this.c), { settledMinor: amount, evidence: 'model: charges seen' });
    if (e.state === 'released' || (e.state === 'settled' && e.settled !== amount)) {
      await assert.rejects(attempt, LedgerConflictError, 'money that was released never settles; a settlement never changes');
    } else {
      await attempt;
      e.state = 'settled';
      e.settled = amount;
    }
    await check(m, r);
  }
  toString = () => `Settle(case ${this.c}, ${this.share})`;
}

class Release implements Cmd {
  constructor(
    readonly c: number,
    readonly why: 'token expired uncharged' | 'write refused',
  ) {}
  check = (m: Readonly<Model>) => m.entries.has(keyOf(this.c));
  async run(m: Model, r: Real) {
    steps++;
    const e = m.entries.get(keyOf(this.c))!;
    const attempt = r.ledger.release(keyOf(this.c), `model: ${this.why}`);
    if (e.state === 'settled') await assert.rejects(attempt, LedgerConflictError, 'money that moved is never released');
    else {
      await attempt;
      e.state = 'released';
    }
    await check(m, r);
  }
  toString = () => `Release(case ${this.c}: ${this.why})`;
}

class TokenCreate implements Cmd {
  /** `outcome`: the create's answer (created, refused by Skyfire, or lost with the worker). */
  constructor(
    readonly c: number,
    readonly attempt: number,
    readonly outcome: 'created' | 'refused' | 'lost',
  ) {}
  check = (m: Readonly<Model>) => m.entries.has(keyOf(this.c));
  async run(m: Model, r: Real) {
    steps++;
    const e = m.entries.get(keyOf(this.c))!;
    const begun = await r.ledger.beginTokenCreate(keyOf(this.c), this.attempt);
    const allowed = e.state === 'pending' && e.token === 'none';
    assert.equal(begun.allowed, allowed, 'a create is sent only for a pending entry with no token and no create in doubt');
    if (allowed) {
      e.token = 'creating';
      e.attempt = this.attempt;
      if (this.outcome === 'created') {
        await r.ledger.tokenCreated(keyOf(this.c), {
          tokenId: `tok-${this.c}`,
          chargeDeadline: new Date(Date.now() + 60_000).toISOString(),
        });
        e.token = 'created';
      } else if (this.outcome === 'refused') {
        await r.ledger.clearTokenCreate(keyOf(this.c), this.attempt, 'model: Skyfire answered 402');
        e.token = 'none';
      }
      // 'lost': the stage stays `creating`; nobody may create another.
    }
    await check(m, r);
  }
  toString = () => `TokenCreate(case ${this.c}, attempt ${this.attempt}, ${this.outcome})`;
}

/** An operator's cancel or terminate of the case: the ledger keeps the entry exactly as it was. */
class Abandon implements Cmd {
  constructor(
    readonly c: number,
    readonly how: 'cancel' | 'terminate',
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    steps++;
    await check(m, r);
  }
  toString = () => `Abandon(case ${this.c} by ${this.how})`;
}

describe('the money ledger against a model (fast-check, real PostgreSQL)', function () {
  this.timeout(600_000);
  let ledger: Ledger;
  before(() => {
    ledger = newTestLedger();
  });

  it('keeps settled + pending <= paid per invoice and matches the model after every step of random interleavings', async () => {
    const runs = Number(process.env.LEDGER_MODEL_RUNS ?? 30);
    const maxCommands = Number(process.env.LEDGER_MODEL_STEPS ?? 40);
    const c = fc.integer({ min: 0, max: CASES - 1 });
    const inv = fc.integer({ min: 0, max: INVOICES.length - 1 });
    const amount = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 6000 }));
    const commands = [
      fc
        .tuple(c, inv, amount, fc.constantFrom('first', 'retry', 'reset', 'crash') as fc.Arbitrary<'first' | 'retry' | 'reset' | 'crash'>)
        .map(([a, b, d, w]) => new Reserve(a, b, d, w)),
      fc.tuple(c, c, inv, amount, amount).map(([a, b, i, x, y]) => new RaceReserve(a, b, i, x, y)),
      fc.tuple(c, fc.constantFrom(1, 1, 0.5, 0.25)).map(([a, s]) => new Settle(a, s)),
      fc
        .tuple(c, fc.constantFrom('token expired uncharged', 'write refused') as fc.Arbitrary<'token expired uncharged' | 'write refused'>)
        .map(([a, w]) => new Release(a, w)),
      fc
        .tuple(
          c,
          fc.integer({ min: 1, max: 3 }),
          fc.constantFrom('created', 'refused', 'lost') as fc.Arbitrary<'created' | 'refused' | 'lost'>,
        )
        .map(([a, t, o]) => new TokenCreate(a, t, o)),
      fc.tuple(c, fc.constantFrom('cancel', 'terminate') as fc.Arbitrary<'cancel' | 'terminate'>).map(([a, h]) => new Abandon(a, h)),
    ];
    let sequences = 0;
    steps = 0;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands, size: 'max' }), async (cmds) => {
        sequences++;
        await truncateTestLedger(ledger);
        await fc.asyncModelRun(() => ({ model: { entries: new Map() }, real: { ledger } }), cmds);
      }),
      { numRuns: runs },
    );
    console.log(`      ledger model: ${sequences} sequences, ${steps} steps checked`);
  });
});
