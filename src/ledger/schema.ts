/** The ledger's tables in PostgreSQL (`ledger_entries`, `ledger_events`, `ledger_holds`), created by `Ledger.migrate()`; idempotent. */
export const SCHEMA_SQL = (s: string) => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.ledger_customers (
  realm text NOT NULL, customer_id text NOT NULL, PRIMARY KEY (realm, customer_id));
CREATE TABLE IF NOT EXISTS ${s}.ledger_entries (
  key text PRIMARY KEY,
  ref text NOT NULL UNIQUE,
  realm text NOT NULL,
  customer_id text NOT NULL,
  invoice_id text,
  invoice_doc text,
  case_id text NOT NULL,
  step text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('refund_receipt', 'credit_memo', 'balance_credit')),
  route text NOT NULL,
  currency text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  refundable_minor bigint,
  state text NOT NULL CHECK (state IN ('pending', 'settled', 'released')),
  settled_minor bigint NOT NULL DEFAULT 0 CHECK (settled_minor >= 0 AND settled_minor <= amount_minor),
  token_stage text NOT NULL DEFAULT 'none' CHECK (token_stage IN ('none', 'creating', 'created')),
  token_attempt integer NOT NULL DEFAULT 0,
  pay_token_id text,
  charge_deadline timestamptz,
  record_entity text,
  record_id text,
  evidence text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS ledger_entries_invoice ON ${s}.ledger_entries (realm, invoice_id);
CREATE INDEX IF NOT EXISTS ledger_entries_customer ON ${s}.ledger_entries (realm, customer_id, created_at);
CREATE INDEX IF NOT EXISTS ledger_entries_pending ON ${s}.ledger_entries (state) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS ${s}.ledger_events (
  id bigserial PRIMARY KEY,
  key text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  event text NOT NULL,
  state text NOT NULL,
  settled_minor bigint NOT NULL,
  evidence text);
CREATE TABLE IF NOT EXISTS ${s}.ledger_holds (
  id bigserial PRIMARY KEY,
  realm text NOT NULL,
  customer_id text NOT NULL,
  finding text NOT NULL,
  detail text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  cleared_at timestamptz,
  cleared_by text,
  clear_note text);
CREATE UNIQUE INDEX IF NOT EXISTS ledger_holds_open ON ${s}.ledger_holds (realm, customer_id, finding) WHERE cleared_at IS NULL;
ALTER TABLE ${s}.ledger_holds ADD COLUMN IF NOT EXISTS alerted_at timestamptz;
ALTER TABLE ${s}.ledger_entries ADD COLUMN IF NOT EXISTS charge_id text;
ALTER TABLE ${s}.ledger_entries ADD COLUMN IF NOT EXISTS refund_id text;
ALTER TABLE ${s}.ledger_entries ADD COLUMN IF NOT EXISTS refund_status text;
DO $$ BEGIN
  -- Tables made before the QuickBooks Payments and owned legs check for two routes: widen it once.
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '${s}.ledger_entries'::regclass
                   AND conname = 'ledger_entries_route_check' AND pg_get_constraintdef(oid) LIKE '%owned%') THEN
    ALTER TABLE ${s}.ledger_entries DROP CONSTRAINT IF EXISTS ledger_entries_route_check;
    ALTER TABLE ${s}.ledger_entries ADD CONSTRAINT ledger_entries_route_check CHECK (route IN ('quickbooks', 'skyfire', 'qb_payments', 'owned'));
  END IF;
END $$;
-- Balance credits (issue 24): a ledger made before them gets the column and the wider kind check.
ALTER TABLE ${s}.ledger_entries ADD COLUMN IF NOT EXISTS open_balance_minor bigint;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '${s}.ledger_entries'::regclass
                 AND conname = 'ledger_entries_kind_check' AND pg_get_constraintdef(oid) LIKE '%balance_credit%') THEN
    ALTER TABLE ${s}.ledger_entries DROP CONSTRAINT IF EXISTS ledger_entries_kind_check;
    ALTER TABLE ${s}.ledger_entries ADD CONSTRAINT ledger_entries_kind_check
      CHECK (kind IN ('refund_receipt', 'credit_memo', 'balance_credit'));
  END IF;
END $$;
`;
