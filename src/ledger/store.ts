/**
 * The money ledger (docs/workflows.md, "The money ledger"): every refund or credit a case makes is
 * an entry here before anything outside is touched, in two phases as financial ledgers do them
 * (TigerBeetle's pending / post / void transfers are the model):
 *
 * - `reserve` writes a **pending** entry, atomically with the check that the invoice still has room
 *   for it: settled + pending + this <= what was paid on the invoice (QuickBooks `Invoice.Id`) for
 *   a refund or a customer credit; for a credit applied against the invoice's unpaid balance
 *   (`balance_credit`), settled + pending balance credits + this <= the balance open when it is
 *   reserved (QuickBooks `Balance` plus the balance credits of this ledger already applied). Per
 *   customer (QuickBooks `Customer.Id`), under a row lock on the customer, so two cases, two
 *   workers or two processes can never both take the last of an invoice;
 * - an entry becomes **settled** (with what moved and the record ids) or **released** only on
 *   evidence, recorded with the transition: the QuickBooks record exists, Skyfire shows the token's
 *   charges, QuickBooks refused the write, the token expired uncharged, or a named person's finding.
 *
 * Entries are keyed by the case's workflow id and money step, so a retried activity, a restarted
 * worker or a `temporal workflow reset` finds its own entry (and its pay token) instead of making a
 * second one. The ledger lives in PostgreSQL, outside Temporal: nobody with only namespace access
 * (terminate, reset, signal) can make it forget a reservation. Every transition is also appended to
 * `ledger_events`, never updated.
 *
 * Why one file of about 470 lines: the `Ledger` class is the one place that holds each transition
 * and its transaction together (its rows, schema and entry types are in the files beside it).
 */
import { Pool, type PoolClient } from 'pg';
import {
  LedgerConflictError,
  ledgerRef,
  type EntryState,
  type LedgerEntry,
  type LedgerTotals,
  type LedgerHold,
  type ReserveRequest,
  type ReserveResult,
  type ReserveCheck,
} from './entries';
import { SCHEMA_SQL } from './schema';
import { toEntry, toHold, num } from './rows';

/** What a settlement rests on: the amount that moved, the evidence, and the record when there is one. */
type SettleEvidence = { settledMinor: number; evidence: string; record?: { entity: string; id: string } };
/** A QuickBooks Payments refund as Intuit answered it. */
type PaymentsRefundSeen = { refundId: string; status: string };

export class Ledger {
  private readonly pool: Pool;
  private readonly s: string;
  /** The PostgreSQL schema the tables live in. */
  readonly schema: string;
  private ready?: Promise<void>;

  constructor(opts: { url: string; schema?: string; maxConnections?: number }) {
    const schema = opts.schema ?? 'billing_ledger';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid ledger schema name ${JSON.stringify(schema)}`);
    this.s = schema;
    this.schema = schema;
    this.pool = new Pool({ connectionString: opts.url, max: opts.maxConnections ?? 8 });
    // An idle connection that drops (a database restart) must not crash the worker.
    this.pool.on('error', () => undefined);
  }

  /** Creates the tables when missing (idempotent; serialized across processes by an advisory lock). */
  migrate(): Promise<void> {
    this.ready ??= (async () => {
      const c = await this.pool.connect();
      try {
        await c.query('SELECT pg_advisory_lock(7390241)');
        try {
          await c.query(SCHEMA_SQL(this.s));
        } finally {
          await c.query('SELECT pg_advisory_unlock(7390241)');
        }
      } finally {
        c.release();
      }
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    await this.migrate();
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  private async lockCustomer(c: PoolClient, realm: string, customerId: string): Promise<void> {
    const lock = () =>
      c.query(`SELECT 1 FROM ${this.s}.ledger_customers WHERE realm = $1 AND customer_id = $2 FOR UPDATE`, [realm, customerId]);
    // The customer's row exists after its first reservation: one round trip. The first time, it is
    // inserted (a racing first insert is fine: ON CONFLICT) and then locked like any other.
    if ((await lock()).rowCount) return;
    await c.query(`INSERT INTO ${this.s}.ledger_customers (realm, customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      realm,
      customerId,
    ]);
    await lock();
  }

  private async totalsIn(
    c: PoolClient,
    q: { realm: string; customerId: string; invoiceId: string | null; currency: string; windowMs: number },
  ): Promise<LedgerTotals> {
    // Pending counts in full (it may still move); settled counts what moved; released counts nothing.
    const committed = `CASE state WHEN 'pending' THEN amount_minor WHEN 'settled' THEN settled_minor ELSE 0 END`;
    const since = new Date(Date.now() - q.windowMs).toISOString();
    // The invoice's and the customer's sums in one statement (one round trip): each subquery is an
    // aggregate without GROUP BY, so each is exactly one row. Without an invoice, its sums are 0.
    const sums = (
      await c.query(
        `SELECT i.all_time, i.credits, i.credits_settled, i.win AS inv_win, i.n AS inv_n, cu.win AS cust_win, cu.n AS cust_n
           FROM (SELECT COALESCE(SUM(${committed}), 0) AS all_time,
                        COALESCE(SUM(${committed}) FILTER (WHERE kind = 'balance_credit'), 0) AS credits,
                        COALESCE(SUM(settled_minor) FILTER (WHERE kind = 'balance_credit' AND state = 'settled'), 0) AS credits_settled,
                        COALESCE(SUM(${committed}) FILTER (WHERE created_at >= $4), 0) AS win,
                        COUNT(*) FILTER (WHERE created_at >= $4 AND state <> 'released') AS n
                   FROM ${this.s}.ledger_entries WHERE realm = $1 AND invoice_id = $2 AND currency = $3) i,
                (SELECT COALESCE(SUM(${committed}), 0) AS win, COUNT(*) FILTER (WHERE state <> 'released') AS n
                   FROM ${this.s}.ledger_entries WHERE realm = $1 AND customer_id = $5 AND currency = $3 AND created_at >= $4) cu`,
        // invoice_id = NULL matches nothing: no invoice (null, or an empty id), no invoice sums.
        [q.realm, q.invoiceId || null, q.currency, since, q.customerId],
      )
    ).rows[0];
    const inv = { all_time: sums.all_time, credits: sums.credits, credits_settled: sums.credits_settled, win: sums.inv_win, n: sums.inv_n };
    const cust = { win: sums.cust_win, n: sums.cust_n };
    const holds = (
      await c.query(`SELECT * FROM ${this.s}.ledger_holds WHERE realm = $1 AND customer_id = $2 AND cleared_at IS NULL ORDER BY id`, [
        q.realm,
        q.customerId,
      ])
    ).rows.map(toHold);
    return {
      currency: q.currency,
      invoiceCommittedMinor: num(inv.all_time),
      invoiceBalanceCreditMinor: num(inv.credits),
      invoiceBalanceCreditSettledMinor: num(inv.credits_settled),
      invoiceWindowMinor: num(inv.win),
      invoiceWindowCount: num(inv.n),
      customerWindowMinor: num(cust.win),
      customerWindowCount: num(cust.n),
      holds,
    };
  }

  /** Running totals for routing (read-only; `reserve` reads them again under the lock). */
  async totals(q: { realm: string; customerId: string; invoiceId: string | null; currency: string; windowMs: number }) {
    return this.tx((c) => this.totalsIn(c, q));
  }

  async get(key: string): Promise<LedgerEntry | undefined> {
    await this.migrate();
    const r = await this.pool.query(`SELECT * FROM ${this.s}.ledger_entries WHERE key = $1`, [key]);
    return r.rows[0] ? toEntry(r.rows[0]) : undefined;
  }

  async byRef(ref: string): Promise<LedgerEntry | undefined> {
    await this.migrate();
    const r = await this.pool.query(`SELECT * FROM ${this.s}.ledger_entries WHERE ref = $1`, [ref]);
    return r.rows[0] ? toEntry(r.rows[0]) : undefined;
  }

  /**
   * The reservation: under the customer's row lock, an entry that already exists for `key` is
   * returned as it is (a retry or a reset never reserves twice and never re-decides); otherwise the
   * bound is checked (settled + pending + amount <= refundable), then `check` (the money rules with
   * the running totals), and only then the pending entry is written.
   */
  async reserve(req: ReserveRequest, check: ReserveCheck): Promise<ReserveResult> {
    return this.tx(async (c) => {
      await this.lockCustomer(c, req.realm, req.customerId);
      const totals = await this.totalsIn(c, req);
      const found = await c.query(`SELECT * FROM ${this.s}.ledger_entries WHERE key = $1`, [req.key]);
      if (found.rows[0]) return { status: 'reserved', entry: toEntry(found.rows[0]), existed: true, totals };
      // Balance credits: the balance open before this ledger's own applied credits is the bound.
      let openBalanceMinor: number | null = null;
      if (req.kind === 'balance_credit') {
        if (!req.invoiceId || req.openBalanceMinor === null || req.openBalanceMinor === undefined)
          return {
            status: 'refused',
            code: 'invoice_not_found',
            reason: 'a balance credit needs the invoice and its open balance',
            totals,
          };
        openBalanceMinor = req.openBalanceMinor + totals.invoiceBalanceCreditSettledMinor;
        if (totals.invoiceBalanceCreditMinor + req.amountMinor > openBalanceMinor) {
          const left = Math.max(0, openBalanceMinor - totals.invoiceBalanceCreditMinor);
          return {
            status: 'refused',
            code: left === 0 ? 'balance_already_credited' : 'exceeds_open_balance',
            reason: `settled and pending credits on the invoice leave ${left} of ${openBalanceMinor} (minor units) open to credit`,
            totals,
          };
        }
      }
      if (req.refundableMinor !== null && totals.invoiceCommittedMinor + req.amountMinor > req.refundableMinor) {
        const left = Math.max(0, req.refundableMinor - totals.invoiceCommittedMinor);
        return {
          status: 'refused',
          code: left === 0 ? 'already_refunded' : 'exceeds_amount_paid',
          reason: `settled and pending refunds on the invoice leave ${left} of ${req.refundableMinor} (minor units) to refund`,
          totals,
        };
      }
      const refusal = check(totals);
      if (refusal) return { status: 'refused', ...refusal, totals };
      const entry = await this.writeWithEvent(
        c,
        `INSERT INTO ${this.s}.ledger_entries
           (key, ref, realm, customer_id, invoice_id, invoice_doc, case_id, step, kind, route, currency, amount_minor, refundable_minor, state, evidence, charge_id, open_balance_minor)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'pending',$14,$15,$16) RETURNING *`,
        [
          req.key,
          ledgerRef(req.key),
          req.realm,
          req.customerId,
          req.invoiceId,
          req.invoiceDoc,
          req.caseId,
          req.step,
          req.kind,
          req.route,
          req.currency,
          req.amountMinor,
          req.refundableMinor,
          'reserved after the money rules held',
          req.chargeId ?? null,
          openBalanceMinor,
        ],
        { event: 'reserve', state: 'pending', settledMinor: 0, evidence: 'reserved after the money rules held' },
      );
      return {
        status: 'reserved',
        entry,
        existed: false,
        totals: {
          ...totals,
          invoiceCommittedMinor: totals.invoiceCommittedMinor + req.amountMinor,
          invoiceBalanceCreditMinor: totals.invoiceBalanceCreditMinor + (req.kind === 'balance_credit' ? req.amountMinor : 0),
          invoiceWindowMinor: totals.invoiceWindowMinor + (req.invoiceId ? req.amountMinor : 0),
          invoiceWindowCount: totals.invoiceWindowCount + (req.invoiceId ? 1 : 0),
          customerWindowMinor: totals.customerWindowMinor + req.amountMinor,
          customerWindowCount: totals.customerWindowCount + 1,
        },
      };
    });
  }

  /**
   * A write of one entry row (`sql`: an INSERT or UPDATE ... RETURNING *) and its `ledger_events`
   * line, in one statement (a data-modifying CTE): the same transaction as before, one round trip
   * to the database fewer per transition (the money step's latency is mostly round trips, issue 21).
   * No row written, no event.
   */
  private async writeWithEvent(
    c: PoolClient,
    sql: string,
    params: unknown[],
    ev: { event: string; state: EntryState; settledMinor: number; evidence: string },
  ): Promise<LedgerEntry> {
    const n = params.length;
    const r = await c.query(
      `WITH m AS (${sql}),
            ev AS (INSERT INTO ${this.s}.ledger_events (key, event, state, settled_minor, evidence)
                   SELECT key, $${n + 1}::text, $${n + 2}::text, $${n + 3}::bigint, $${n + 4}::text FROM m)
       SELECT * FROM m`,
      [...params, ev.event, ev.state, ev.settledMinor, ev.evidence],
    );
    if (!r.rows[0]) throw new LedgerConflictError(`no ledger entry written (${ev.event})`);
    return toEntry(r.rows[0]);
  }

  private async locked(c: PoolClient, key: string): Promise<LedgerEntry> {
    const r = await c.query(`SELECT * FROM ${this.s}.ledger_entries WHERE key = $1 FOR UPDATE`, [key]);
    if (!r.rows[0]) throw new LedgerConflictError(`no ledger entry ${key}`);
    return toEntry(r.rows[0]);
  }

  /**
   * Pending -> settled, on evidence of what moved (`settledMinor` <= the reservation; the rest is
   * released with it). Settling again with the same amount is a no-op; a released entry cannot be
   * settled, nor a settled one re-settled with another amount.
   */
  async settle(key: string, ev: SettleEvidence): Promise<LedgerEntry> {
    return this.tx(async (c) => this.settleIn(c, await this.locked(c, key), ev));
  }

  /** `settle` inside a transaction, on the entry as locked there. */
  private async settleIn(c: PoolClient, e: LedgerEntry, ev: SettleEvidence): Promise<LedgerEntry> {
    const key = e.key;
    if (!Number.isInteger(ev.settledMinor) || ev.settledMinor < 0 || ev.settledMinor > e.amountMinor)
      throw new LedgerConflictError(`cannot settle ${ev.settledMinor} on ${key} (reserved ${e.amountMinor})`);
    if (e.state === 'released') throw new LedgerConflictError(`entry ${key} was released (${e.evidence ?? ''}); it cannot be settled`);
    if (e.state === 'settled') {
      if (e.settledMinor !== ev.settledMinor)
        throw new LedgerConflictError(`entry ${key} is settled at ${e.settledMinor}, not ${ev.settledMinor}`);
      if (ev.record && !e.recordId) return this.attachIn(c, e, ev.record);
      return e;
    }
    return this.writeWithEvent(
      c,
      `UPDATE ${this.s}.ledger_entries SET state = 'settled', settled_minor = $2, evidence = $3,
         record_entity = COALESCE($4, record_entity), record_id = COALESCE($5, record_id), updated_at = now()
       WHERE key = $1 RETURNING *`,
      [key, ev.settledMinor, ev.evidence, ev.record?.entity ?? null, ev.record?.id ?? null],
      { event: 'settle', state: 'settled', settledMinor: ev.settledMinor, evidence: ev.evidence },
    );
  }

  /** Pending -> released, on evidence that nothing moved. Releasing again is a no-op; a settled entry cannot be released. */
  async release(key: string, evidence: string): Promise<LedgerEntry> {
    return this.tx(async (c) => {
      const e = await this.locked(c, key);
      if (e.state === 'released') return e;
      if (e.state === 'settled') throw new LedgerConflictError(`entry ${key} is settled; money that moved is never released`);
      return this.writeWithEvent(
        c,
        `UPDATE ${this.s}.ledger_entries SET state = 'released', evidence = $2, updated_at = now() WHERE key = $1 RETURNING *`,
        [key, evidence],
        { event: 'release', state: 'released', settledMinor: 0, evidence },
      );
    });
  }

  private async attachIn(c: PoolClient, e: LedgerEntry, record: { entity: string; id: string }): Promise<LedgerEntry> {
    if (e.recordId && e.recordId !== record.id)
      throw new LedgerConflictError(`entry ${e.key} is recorded as ${e.recordEntity} ${e.recordId}, not ${record.id}`);
    return this.writeWithEvent(
      c,
      `UPDATE ${this.s}.ledger_entries SET record_entity = $2, record_id = $3, updated_at = now() WHERE key = $1 RETURNING *`,
      [e.key, record.entity, record.id],
      { event: 'record', state: e.state, settledMinor: e.settledMinor, evidence: `${record.entity} ${record.id}` },
    );
  }

  /** The accounting record of a settled entry (a Skyfire refund is recorded after its charge settled it). */
  async attachRecord(key: string, record: { entity: string; id: string }): Promise<LedgerEntry> {
    return this.tx(async (c) => {
      const e = await this.locked(c, key);
      if (e.state !== 'settled') throw new LedgerConflictError(`entry ${key} is ${e.state}; only a settled entry gets its record`);
      if (e.recordId === record.id) return e;
      return this.attachIn(c, e, record);
    });
  }

  /**
   * Before a pay token create is sent: `creating`, naming the attempt. Refuses (returns the entry
   * unchanged, `allowed: false`) when an earlier attempt may have created one: stage `creating`
   * left by anyone, or a token already made.
   */
  async beginTokenCreate(key: string, attempt: number): Promise<{ allowed: boolean; entry: LedgerEntry }> {
    return this.tx(async (c) => {
      const e = await this.locked(c, key);
      if (e.state !== 'pending' || e.tokenStage !== 'none') return { allowed: false, entry: e };
      const entry = await this.writeWithEvent(
        c,
        `UPDATE ${this.s}.ledger_entries SET token_stage = 'creating', token_attempt = $2, updated_at = now() WHERE key = $1 RETURNING *`,
        [key, attempt],
        { event: 'token-create-sent', state: 'pending', settledMinor: 0, evidence: `attempt ${attempt}` },
      );
      return { allowed: true, entry };
    });
  }

  /** Skyfire answered the create with a refusal (or it was never sent): nothing was created. */
  async clearTokenCreate(key: string, attempt: number, evidence: string): Promise<void> {
    await this.tx(async (c) => {
      const e = await this.locked(c, key);
      if (e.tokenStage !== 'creating' || e.tokenAttempt !== attempt) return;
      await this.writeWithEvent(
        c,
        `UPDATE ${this.s}.ledger_entries SET token_stage = 'none', updated_at = now() WHERE key = $1 RETURNING *`,
        [key],
        { event: 'token-create-refused', state: 'pending', settledMinor: 0, evidence },
      );
    });
  }

  async tokenCreated(key: string, t: { tokenId: string; chargeDeadline: string }): Promise<LedgerEntry> {
    return this.tx(async (c) => {
      const e = await this.locked(c, key);
      if (e.payTokenId && e.payTokenId !== t.tokenId) throw new LedgerConflictError(`entry ${key} already has pay token ${e.payTokenId}`);
      return this.writeWithEvent(
        c,
        `UPDATE ${this.s}.ledger_entries SET token_stage = 'created', pay_token_id = $2, charge_deadline = $3, updated_at = now()
          WHERE key = $1 RETURNING *`,
        [key, t.tokenId, t.chargeDeadline],
        { event: 'token-created', state: e.state, settledMinor: e.settledMinor, evidence: t.tokenId },
      );
    });
  }

  /**
   * What the QuickBooks Payments API answered for the entry's refund (its id and status), kept as
   * evidence whatever the status; the caller settles or releases on a final one. A second refund id
   * for the same entry is a conflict: the Request-Id is the entry's, so Intuit answers one refund.
   */
  async paymentsRefundSeen(key: string, r: PaymentsRefundSeen): Promise<LedgerEntry> {
    return this.tx(async (c) => this.refundSeenIn(c, await this.locked(c, key), r));
  }

  /**
   * A final QuickBooks Payments refund (issued): what Intuit answered and the settlement on it, in
   * one transaction (`paymentsRefundSeen` then `settle`, each with its event, one commit).
   */
  async paymentsRefundSettled(key: string, r: PaymentsRefundSeen, ev: SettleEvidence): Promise<LedgerEntry> {
    return this.tx(async (c) => this.settleIn(c, await this.refundSeenIn(c, await this.locked(c, key), r), ev));
  }

  private async refundSeenIn(c: PoolClient, e: LedgerEntry, r: PaymentsRefundSeen): Promise<LedgerEntry> {
    if (e.refundId && e.refundId !== r.refundId)
      throw new LedgerConflictError(`entry ${e.key} already has QuickBooks Payments refund ${e.refundId}, not ${r.refundId}`);
    if (e.refundId === r.refundId && e.refundStatus === r.status) return e;
    return this.writeWithEvent(
      c,
      `UPDATE ${this.s}.ledger_entries SET refund_id = $2, refund_status = $3, updated_at = now() WHERE key = $1 RETURNING *`,
      [e.key, r.refundId, r.status],
      {
        event: 'payments-refund',
        state: e.state,
        settledMinor: e.settledMinor,
        evidence: `refund ${r.refundId} ${r.status} on charge ${e.chargeId ?? '?'}`,
      },
    );
  }

  /** Entries still pending (the reconciliation resolves those whose case can no longer). */
  async pending(realm?: string): Promise<LedgerEntry[]> {
    await this.migrate();
    const r = await this.pool.query(
      `SELECT * FROM ${this.s}.ledger_entries WHERE state = 'pending' ${realm ? 'AND realm = $1' : ''} ORDER BY created_at`,
      realm ? [realm] : [],
    );
    return r.rows.map(toEntry);
  }

  /** Every entry of a realm (reconciliation; a test's model check). */
  async entries(realm: string): Promise<LedgerEntry[]> {
    await this.migrate();
    const r = await this.pool.query(`SELECT * FROM ${this.s}.ledger_entries WHERE realm = $1 ORDER BY created_at`, [realm]);
    return r.rows.map(toEntry);
  }

  /** A reconciliation finding on a customer: blocks automated money there until a person clears it. Added once per finding. */
  async addHold(h: { realm: string; customerId: string; finding: string; detail: string }): Promise<{ added: boolean }> {
    await this.migrate();
    const r = await this.pool.query(
      `INSERT INTO ${this.s}.ledger_holds (realm, customer_id, finding, detail) VALUES ($1,$2,$3,$4)
       ON CONFLICT (realm, customer_id, finding) WHERE cleared_at IS NULL DO NOTHING RETURNING id`,
      [h.realm, h.customerId, h.finding, h.detail],
    );
    return { added: (r.rowCount ?? 0) > 0 };
  }

  async holds(realm?: string): Promise<LedgerHold[]> {
    await this.migrate();
    const r = await this.pool.query(
      `SELECT * FROM ${this.s}.ledger_holds WHERE cleared_at IS NULL ${realm ? 'AND realm = $1' : ''} ORDER BY id`,
      realm ? [realm] : [],
    );
    return r.rows.map(toHold);
  }

  /** Whether a finding was ever recorded (cleared or not): a cleared finding is not raised again. */
  async knownFinding(realm: string, customerId: string, finding: string): Promise<boolean> {
    await this.migrate();
    const r = await this.pool.query(`SELECT 1 FROM ${this.s}.ledger_holds WHERE realm = $1 AND customer_id = $2 AND finding = $3`, [
      realm,
      customerId,
      finding,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async clearHold(id: number, by: string, note: string): Promise<boolean> {
    await this.migrate();
    const r = await this.pool.query(
      `UPDATE ${this.s}.ledger_holds SET cleared_at = now(), cleared_by = $2, clear_note = $3 WHERE id = $1 AND cleared_at IS NULL`,
      [id, by, note],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Open holds whose finance alert was not confirmed posted yet (the reconciliation posts them until it is). */
  async holdsToAlert(realm: string): Promise<LedgerHold[]> {
    await this.migrate();
    const r = await this.pool.query(
      `SELECT * FROM ${this.s}.ledger_holds WHERE realm = $1 AND cleared_at IS NULL AND alerted_at IS NULL ORDER BY id`,
      [realm],
    );
    return r.rows.map(toHold);
  }

  async markHoldAlerted(id: number): Promise<void> {
    await this.migrate();
    await this.pool.query(`UPDATE ${this.s}.ledger_holds SET alerted_at = now() WHERE id = $1 AND alerted_at IS NULL`, [id]);
  }
}
