import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { DriveClient } from '../../src/connectors/drive';
import { describeGoogleError } from '../../src/connectors/gmail';

describe('Google Drive connector', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('finds or creates a folder, then uploads a PDF into it with a pre-generated id', async () => {
    const drive = sb.clients.drive;
    const folder = await drive.findOrCreateFolder('case-abc', 'root', async () => (await drive.generateIds(1))[0]);
    const again = await drive.findOrCreateFolder('case-abc', 'root', async () => (await drive.generateIds(1))[0]);
    assert.equal(again.id, folder.id);
    const [id] = await drive.generateIds(1);
    const pdf = Buffer.from('%PDF-1.4 test');
    const file = await drive.uploadFile({ id, name: 'INV-1001.pdf', parentId: folder.id, mimeType: 'application/pdf', data: pdf });
    assert.equal(file.id, id);
    assert.equal(file.existed, false);
    assert.deepEqual(file.parents, [folder.id]);
    assert.ok(file.webViewLink);
    const content = await fetch(`${sb.url}/_sandbox/drive/files/${id}`);
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), pdf);
  });

  it('gets 409 for a reused id after a dropped response, and returns the existing file (no duplicate)', async () => {
    const drive = sb.clients.drive;
    const [id] = await drive.generateIds(1);
    await sb.faults('drive', { dropNext: 1 });
    const upload = () =>
      drive.uploadFile({ id, name: 'evidence.txt', parentId: 'root', mimeType: 'text/plain', data: Buffer.from('facts') });
    await rejectsWithType(upload(), 'TransientError');
    const retry = await upload();
    assert.equal(retry.existed, true);
    assert.equal(retry.id, id);
    const files = (await sb.control('/drive/files')) as { name: string }[];
    assert.equal(files.filter((f) => f.name === 'evidence.txt').length, 1);
    assert.equal((await sb.records('drive', (r) => r.status === 409)).length, 1);
  });

  it('classifies errors: unknown parent 404, unusable id 400, bad token 401, rate limits (429, and Google 403 rateLimitExceeded) retryable', async () => {
    const drive = sb.clients.drive;
    const [id] = await drive.generateIds(1);
    await rejectsWithType(drive.createFolder({ id, name: 'x', parentId: 'no-such-folder' }), 'NotFoundError', (e) =>
      assert.equal(e.code, 'notFound'),
    );
    await rejectsWithType(drive.createFolder({ id: 'made-up-id', name: 'x', parentId: 'root' }), 'ValidationError');
    await rejectsWithType(new DriveClient({ ...sb.config.connectors.drive, token: 'bad' }).generateIds(1), 'AuthError');
    await sb.faults('drive', { rateLimitNext: 1 });
    await rejectsWithType(drive.generateIds(1), 'RateLimitedError', (e) => assert.equal(e.code, 'rateLimitExceeded'));
    // Google also signals rate limits as 403 with a reason; those must retry too.
    assert.equal(
      describeGoogleError(403, { error: { code: 403, message: 'x', errors: [{ reason: 'userRateLimitExceeded' }] } }).kind,
      'rate_limited',
    );
    assert.equal(
      describeGoogleError(403, { error: { code: 403, message: 'x', errors: [{ reason: 'insufficientFilePermissions' }] } }).kind,
      undefined,
    );
  });
});
