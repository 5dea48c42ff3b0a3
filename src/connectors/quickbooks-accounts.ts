/**
 * Our account id -> QuickBooks customer. QuickBooks has no custom fields on customers that a query
 * can filter on, and `Notes` (where the account id lives, as `account_id:<id>`) is not queryable,
 * so a lookup cannot be one filtered query. Instead this keeps a map built from every customer
 * (paged with STARTPOSITION) and kept fresh with `MetaData.LastUpdatedTime >= <newest seen>`,
 * which QuickBooks documents as filterable. A hit is confirmed by reading the customer by Id (one
 * request), so an edited or moved account id is never trusted from the map; a miss first refreshes
 * the changes since the last sync. Cost: one full scan per worker process, then one small query per
 * miss. docs/connectors.md says why this and not a second system of record.
 */
import type { QboCustomer, QuickBooksClient } from './quickbooks';

/** Our account id lives in the QuickBooks customer's Notes as `account_id:<id>`. */
export function accountIdOf(c: Pick<QboCustomer, 'Notes'>): string | undefined {
  return /(?:^|\s)account_id:(\S+)/.exec(c.Notes ?? '')?.[1];
}

type IndexedCustomer = QboCustomer & { MetaData?: { LastUpdatedTime?: string } };

export class CustomerAccountIndex {
  private readonly byAccount = new Map<string, string>();
  private readonly byCustomer = new Map<string, string>();
  /** Newest `LastUpdatedTime` seen; undefined until the first full scan. */
  private syncedThrough?: string;
  private refreshing?: Promise<void>;

  constructor(private readonly qbo: QuickBooksClient) {}

  /** The customer whose Notes carry this account id, read fresh from QuickBooks; undefined if none. */
  async find(accountId: string): Promise<QboCustomer | undefined> {
    const hit = await this.confirmed(accountId);
    if (hit) return hit;
    await this.refresh();
    return this.confirmed(accountId);
  }

  private async confirmed(accountId: string): Promise<QboCustomer | undefined> {
    const id = this.byAccount.get(accountId);
    if (!id) return undefined;
    const c = await this.qbo.find<IndexedCustomer>('Customer', id);
    if (c && accountIdOf(c) === accountId) return c;
    // Someone changed the Notes (or the customer is gone): forget the entry; refresh re-learns it.
    this.forget(id);
    return undefined;
  }

  /** One refresh at a time; concurrent misses share it. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    // `>=` and not `>`: a change within the same second as the newest seen is not skipped.
    const where: Parameters<QuickBooksClient['query']>[1] = this.syncedThrough
      ? { 'MetaData.LastUpdatedTime': { op: '>=', value: this.syncedThrough } }
      : {};
    const rows = await this.qbo.queryAll<IndexedCustomer>('Customer', where);
    for (const c of rows) {
      this.forget(c.Id);
      const account = accountIdOf(c);
      if (account) {
        this.byAccount.set(account, c.Id);
        this.byCustomer.set(c.Id, account);
      }
      const t = c.MetaData?.LastUpdatedTime;
      if (t && (!this.syncedThrough || Date.parse(t) > Date.parse(this.syncedThrough))) this.syncedThrough = t;
    }
    this.syncedThrough ??= new Date(0).toISOString();
  }

  private forget(customerId: string): void {
    const account = this.byCustomer.get(customerId);
    if (account !== undefined && this.byAccount.get(account) === customerId) this.byAccount.delete(account);
    this.byCustomer.delete(customerId);
  }
}
