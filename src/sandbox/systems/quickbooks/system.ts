/**
 * QuickBooks Online Accounting API v3 stand-in, under `/v3/company/:realm/...`: read invoice,
 * customer, payment; query; send invoice / payment / refund receipt / credit memo by email;
 * create, sparse-update and delete RefundReceipt and CreditMemo; sparse Customer update with SyncToken (5010 when stale);
 * Payments applying credit memos to invoices and invoice void (./credits.ts);
 * PDFs. Every write honours `requestid`: a repeat replays the first response and creates nothing.
 * Errors use the real `Fault` envelope.
 *
 * The parts: the seeded company (./seed), its state (./state), the API routes (./api), the query
 * language (./query), faults (./faults), PDFs (./pdf), control routes (./control).
 */
import type { SandboxSystem } from '../../core';
import { qboApiRouter } from './api';
import { qboControlRouter } from './control';
import { systemFault, throttleXml, qboFaultBody } from './faults';
import { QboBooks } from './state';

export function createQuickBooksSystem(): SandboxSystem {
  const st = new QboBooks();
  return {
    name: 'quickbooks',
    title: 'QuickBooks Online',
    router: () => qboApiRouter(st),
    faultBody: qboFaultBody,
    sendFault: (res, status) => (status === 429 ? throttleXml(res) : void res.status(status).json(systemFault())),
    // Intuit: at most 10 concurrent requests per realm and app; more are answered 429.
    concurrency: { limit: 10, key: (req) => /^\/v3\/company\/([^/]+)/.exec(req.path)?.[1] },
    reset: st.reset,
    controlRouter: () => qboControlRouter(st),
  };
}
