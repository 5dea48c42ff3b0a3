/** The QuickBooks stand-in's state, shared by its API (./api) and control (./control) routes; `reset` reseeds it. */
import type { CreditContext } from './credits';
import { fault } from './faults';
import { seed, time } from './seed';

/** The QuickBooks stand-in's company: its entities (seeded), the requestid replay store and the emails it "sent". */
export class QboBooks {
  db = seed();
  /** realm:requestid -> first response. */
  requests = new Map<string, { hash: string; status: number; body: unknown }>();
  /** Emails QuickBooks "sent" (for tests and the page). */
  outbox: { entity: string; id: string; to: string; at: string }[] = [];
  nextId = 9000;
  /** What the credit routes (./credits) work on: the entities as they are now, new ids, QuickBooks' time and faults. */
  readonly credits: CreditContext = { db: () => this.db, newId: () => String(++this.nextId), time, fault };

  readonly reset = () => {
    this.db = seed();
    this.requests = new Map();
    this.outbox = [];
    this.nextId = 9000;
  };
}
