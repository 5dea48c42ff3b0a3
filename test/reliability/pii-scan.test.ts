/**
 * Issue 7 §6, PII scan: a corpus of calls with card numbers, IBANs, routing and account numbers,
 * SSNs, EINs and VAT ids in every free-text field goes through the real service (child processes)
 * and its cases run to the end (approved where review is required). Then everything downstream is
 * scanned for the planted values:
 *   - every Temporal history of the task queue, fetched RAW (no codec: what the server stores) and
 *     again with every payload decrypted by the service's codec (what anyone with the key sees);
 *   - search attributes and memos of every workflow;
 *   - the service's own logs (stdout/stderr of API, worker and sandbox processes);
 *   - every request the sandbox recorded (QuickBooks, Zendesk, Gmail, Slack, HubSpot, Drive, Skyfire).
 * Zero hits. The scanner is checked first on the corpus itself, and decryption is checked to yield
 * readable case data, so "zero hits" cannot come from scanning nothing or scanning ciphertext only.
 */
import assert from 'node:assert/strict';
import type { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec, parseKeyringSpec } from '../../src/temporal/codec';
import { NAMESPACE } from '../support/temporal';
import { PII_VALUES, findPii, piiContext, piiCorpus, runTag, seedRefundInvoices } from './calls';
import { decide, figure, listWorkflowIds, refundWorkflowId, waitForCases, useService } from './helpers';
import { statusQuery } from '../../src/workflows/messages';

type Payload = temporal.api.common.v1.IPayload;

/** Every Payload object (has `data` bytes) anywhere inside a history event. */
function payloadsIn(value: unknown, out: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object') return out;
  if (value instanceof Uint8Array) return out;
  const v = value as Record<string, unknown>;
  if (v.data instanceof Uint8Array && (v.metadata === undefined || typeof v.metadata === 'object')) out.push(v as Payload);
  for (const child of Object.values(v)) payloadsIn(child, out);
  return out;
}

/** JSON with byte arrays shown as UTF-8 text, so a plaintext value inside bytes is visible to the scan. */
function textOf(value: unknown): string {
  // Converted before stringify: Buffer's own toJSON would turn bytes into a list of numbers first.
  const plain = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
  };
  return JSON.stringify(plain(value));
}

const hitsIn = (where: string, text: string) =>
  findPii(text).map((h) => `${where}: ${h.kind} near ${JSON.stringify(piiContext(text, h.value))}`);

describe('reliability: PII scan of everything downstream of intake', function () {
  this.timeout(15 * 60_000);
  const service = useService();

  it('finds no card, bank, SSN, EIN or VAT number in histories, search attributes, memos, logs or outbound requests', async () => {
    const corpus = piiCorpus(runTag());
    // The scanner itself must see every planted value in the corpus it is given.
    const planted = new Set(findPii(JSON.stringify(corpus.map((c) => c.body))).map((h) => h.kind));
    assert.equal(planted.size, PII_VALUES.length, 'the scanner finds every planted value in the raw corpus');

    await seedRefundInvoices(
      service.svc.sandboxUrl,
      corpus.map((c) => c.body),
    );
    const answers = await Promise.all(corpus.map((c) => service.svc.postCall(c.body)));
    const refused = answers.map((a, i) => ({ a, c: corpus[i] })).filter(({ a }) => a.status !== 202);
    assert.deepEqual(
      refused.map(({ a, c }) => `${c?.field}: ${a.status} ${a.text.slice(0, 200)}`),
      [],
      'every corpus call is accepted',
    );
    const answerHits = answers.flatMap((a, i) => hitsIn(`webhook answer ${i}`, a.text));

    // Sensitive data makes a refund need review: approve each, so the cases reach QuickBooks, Gmail...
    const callIds = corpus.map((c) => c.callId);
    await Promise.all(
      callIds.map(async (id) => {
        const handle = service.client.workflow.getHandle(refundWorkflowId(id));
        for (let i = 0; i < 240; i++) {
          const state = await handle.query(statusQuery).catch(() => undefined);
          if (state?.pendingApproval)
            return decide(
              service.client,
              service.svc.decisionKey,
              id,
              state.pendingApproval.requestId,
              ['U0FIN0001', 'U0FIN0002'].slice(0, state.pendingApproval.required),
            );
          if (state && ['completed', 'rejected', 'expired', 'needs_attention', 'failed'].includes(state.status)) return;
          await new Promise((r) => setTimeout(r, 250));
        }
      }),
    );
    const results = await waitForCases(service.client, callIds, 5 * 60_000);

    const codec = new AesGcmPayloadCodec(parseKeyringSpec(service.svc.codecKeys));
    const hits: string[] = [...answerHits];
    let rawPayloads = 0;
    let decodedWithCallId = 0;
    const workflowIds = await listWorkflowIds(service.client, service.svc.taskQueue);
    for (const workflowId of workflowIds) {
      // RAW history: exactly the bytes the server stores and serves (the client's codec is not involved).
      const events: unknown[] = [];
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await service.client.workflowService.getWorkflowExecutionHistory({
          namespace: NAMESPACE,
          execution: { workflowId },
          nextPageToken,
          maximumPageSize: 500,
        });
        events.push(...(page.history?.events ?? []));
        nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
      } while (nextPageToken);
      hits.push(...hitsIn(`${workflowId} raw history`, textOf(events)));
      const payloads = payloadsIn(events);
      rawPayloads += payloads.length;
      // The same payloads decrypted with the service's key.
      const decoded = await codec.decode(payloads as Parameters<AesGcmPayloadCodec['decode']>[0]);
      const decodedText = textOf(decoded);
      if (callIds.some((id) => decodedText.includes(id))) decodedWithCallId++;
      hits.push(...hitsIn(`${workflowId} decoded payloads`, decodedText));
      // Search attributes (never encrypted) and memo.
      const desc = await service.client.workflow.getHandle(workflowId).describe();
      hits.push(...hitsIn(`${workflowId} search attributes`, JSON.stringify(desc.typedSearchAttributes)));
      hits.push(...hitsIn(`${workflowId} memo`, JSON.stringify((await desc.memo) ?? {})));
      hits.push(...hitsIn(`${workflowId} summary/details`, JSON.stringify([await desc.staticSummary(), await desc.staticDetails()])));
    }
    const records = await service.svc.sandboxRecords();
    for (const r of records) hits.push(...hitsIn(`sandbox ${r.system} ${r.method} ${r.path}`, textOf([r.path, r.query, r.body])));
    const logs = service.svc.logs();
    hits.push(...hitsIn('service logs', logs));

    const statuses = [...results.values()].reduce<Record<string, number>>((m, s) => ((m[s.status] = (m[s.status] ?? 0) + 1), m), {});
    figure(
      `pii: ${corpus.length} calls (${PII_VALUES.length} kinds of value in ${new Set(corpus.map((c) => c.field)).size} field sets) -> cases ${JSON.stringify(statuses)}; scanned ${workflowIds.length} histories ` +
        `(${rawPayloads} payloads raw and decrypted), search attributes, memos, ${logs.split('\n').length} log lines, ${records.length} sandbox requests -> ${hits.length} hits`,
    );
    assert.deepEqual([...new Set(hits)].slice(0, 30), [], 'no sensitive value anywhere downstream');
    assert.equal(
      decodedWithCallId,
      workflowIds.length,
      'decryption yields readable case data for every history (the scan reads plaintext, not just ciphertext)',
    );
    assert.ok(
      records.some((r) => r.system === 'quickbooks' && r.method === 'POST'),
      'cases reached QuickBooks writes, so outbound requests were really scanned',
    );
    assert.deepEqual([...new Set(hits)].slice(0, 30), [], 'no sensitive value anywhere downstream');
  });
});
