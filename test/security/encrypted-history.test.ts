import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createActivities } from '../../src/activities/index';
import { createKeyring, ENCRYPTED_ENCODING, METADATA_KEY_ID } from '../../src/temporal/codec';
import { createDataConverter } from '../../src/temporal/data-converter';
import { NAMESPACE, startTestWorker, temporalAddress, testClient, uniqueTaskQueue } from '../support/temporal';

type History = temporal.api.history.v1.IHistory;
type Payload = temporal.api.common.v1.IPayload;

const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** Every payload in a history: inputs, results, activity arguments, signal and update arguments. */
function allPayloads(history: History): Payload[] {
  const found: Payload[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object' || v instanceof Uint8Array) return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.payloads)) found.push(...(o.payloads as Payload[]));
    Object.values(o).forEach(walk);
  };
  walk(history.events);
  return found;
}

/** Raw history from the server, read by a client that has no codec (what the database holds). */
async function rawHistory(raw: Client, workflowId: string): Promise<{ history: History; bytes: Buffer }> {
  const history = await raw.workflow.getHandle(workflowId).fetchHistory();
  return { history, bytes: Buffer.from(temporal.api.history.v1.History.encode(history).finish()) };
}

describe('encrypted history: the Temporal server only ever stores ciphertext', () => {
  let raw: Client;

  before(async () => {
    raw = new Client({ connection: await Connection.connect({ address: temporalAddress() }), namespace: NAMESPACE });
  });
  after(async () => {
    await raw?.connection.close();
  });

  it('stores every payload of a run as binary/encrypted with its key id; a marker in the input is not in the raw history', async () => {
    const client = await testClient();
    const worker = await startTestWorker(createActivities({ workerIdentity: 'crypto-test-worker' }));
    try {
      const marker = `MARKER-${randomUUID()}`;
      const workflowId = `selftest-${randomUUID()}`;
      const result = await client.workflow.execute('selfTest', { taskQueue: worker.taskQueue, workflowId, args: [{ nonce: marker }] });
      assert.equal((result as { nonce: string }).nonce, marker, 'the codec client decodes its own result');

      const { history, bytes } = await rawHistory(raw, workflowId);
      const payloads = allPayloads(history);
      // Workflow input, activity input, activity result, workflow result.
      assert.ok(payloads.length >= 4, `expected at least 4 payloads, found ${payloads.length}`);
      for (const p of payloads) {
        assert.equal(text(p.metadata?.encoding), ENCRYPTED_ENCODING);
        assert.equal(text(p.metadata?.[METADATA_KEY_ID]), 'test-run-key');
      }
      assert.ok(!bytes.includes(marker), 'the marker must not appear anywhere in the stored history');
      assert.ok(!bytes.includes('json/plain'), 'no plaintext JSON payload in the stored history');
      console.log(`      encrypted payloads checked: ${payloads.length}, history bytes scanned: ${bytes.length}`);
    } finally {
      await worker.stop();
      await client.connection.close();
    }
  });

  it('after key rotation old payloads still decode, new writes use the new key, and a run started before rotation finishes after it', async () => {
    const keyOld = randomBytes(32);
    const keyNew = randomBytes(32);
    const before = createDataConverter(createKeyring([['2026-01', keyOld]], '2026-01'));
    const after = createDataConverter(
      createKeyring(
        [
          ['2026-01', keyOld],
          ['2026-07', keyNew],
        ],
        '2026-07',
      ),
    );
    const activities = createActivities({ workerIdentity: 'rotation-worker' });
    const clientOld = await testClient(before);
    const clientNew = await testClient(after);
    try {
      // 1. A run that completes entirely under the old key.
      const oldQueue = uniqueTaskQueue('rotation-old');
      const w1 = await startTestWorker(activities, oldQueue, before);
      const oldId = `selftest-${randomUUID()}`;
      await clientOld.workflow.execute('selfTest', { taskQueue: oldQueue, workflowId: oldId, args: [{ nonce: 'before-rotation' }] });
      await w1.stop();

      // 2. A run started under the old key while no worker polls; a rotated worker picks it up.
      const newQueue = uniqueTaskQueue('rotation-new');
      const crossId = `selftest-${randomUUID()}`;
      const cross = await clientOld.workflow.start('selfTest', {
        taskQueue: newQueue,
        workflowId: crossId,
        args: [{ nonce: 'across-rotation' }],
      });
      const w2 = await startTestWorker(activities, newQueue, after);
      try {
        assert.equal(((await clientNew.workflow.getHandle(cross.workflowId).result()) as { nonce: string }).nonce, 'across-rotation');
        // 3. A run entirely after rotation.
        const newId = `selftest-${randomUUID()}`;
        await clientNew.workflow.execute('selfTest', { taskQueue: newQueue, workflowId: newId, args: [{ nonce: 'after-rotation' }] });

        // The rotated client reads the old run's result (old key still in the ring).
        assert.equal(((await clientNew.workflow.getHandle(oldId).result()) as { nonce: string }).nonce, 'before-rotation');

        const keyIds = async (id: string) =>
          allPayloads((await rawHistory(raw, id)).history).map((p) => text(p.metadata?.[METADATA_KEY_ID]));
        assert.deepEqual([...new Set(await keyIds(oldId))], ['2026-01']);
        assert.deepEqual([...new Set(await keyIds(newId))], ['2026-07'], 'every new write uses the active key');
        const crossIds = await keyIds(crossId);
        assert.equal(crossIds[0], '2026-01', 'the input was written before rotation');
        assert.equal(crossIds[crossIds.length - 1], '2026-07', 'the result was written after it');

        // A client that lacks the new key cannot read what was written with it.
        await assert.rejects(clientOld.workflow.getHandle(newId).result(), /no key "2026-07"/);
      } finally {
        await w2.stop();
      }
    } finally {
      await clientOld.connection.close();
      await clientNew.connection.close();
    }
  });
});
