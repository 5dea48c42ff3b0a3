import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from '../connectors/helpers';
import { MockActivityEnvironment } from '@temporalio/testing';
import { activitiesOver, logger, runOnce, runWithRetries } from './helpers';
import { ACTIVITY_GROUP_OF } from '../../src/temporal/activity-retry';
import type { TicketRef } from '../../src/domain/records';

describe('Skyfire, HubSpot, Zendesk, Gmail and Drive activities', () => {
  let sb: TestSandbox;
  let acts: ReturnType<typeof activitiesOver>;
  before(async () => {
    sb = await startSandbox();
    acts = activitiesOver(sb.clients);
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('implements every activity of the contract', () => {
    for (const name of Object.keys(ACTIVITY_GROUP_OF)) assert.equal(typeof (acts as Record<string, unknown>)[name], 'function', name);
  });

  describe('Skyfire', () => {
    it('reads the wallet balance in minor units, and refuses another currency', async () => {
      const b = await runOnce(acts.getWalletBalance, { currency: 'USD' });
      assert.deepEqual(b, { available: { amountMinor: 50000, currency: 'USD' }, held: { amountMinor: 0, currency: 'USD' } });
      await rejectsWithType(runOnce(acts.getWalletBalance, { currency: 'EUR' }), 'ValidationError');
    });

    it('creates a pay token with a short expiresAt and hands it to the seller service, which charges it', async () => {
      const before = Math.floor(Date.now() / 1000);
      await acts.reserveSkyfire('wf-sky-0', 1500);
      const { result, attempts } = await runWithRetries(
        acts.createPayToken,
        { step: 'refund.pay', amount: { amountMinor: 1500, currency: 'USD' } },
        'wf-sky-0',
      );
      assert.equal(attempts, 1);
      assert.equal(result.handedOver, true);
      const ttl = Date.parse(result.expiresAt) / 1000 - before;
      assert.ok(ttl > 3000 && ttl <= 3601, `expiresAt about an hour ahead (${ttl} s), not Skyfire's 24 h default`);
      assert.equal((await sb.records('skyfire', (r) => r.path === '/seller-service/refunds')).length, 1);
      let charged = 0;
      for (let i = 0; i < 50 && charged < 1500; i++) {
        charged = (await runOnce(acts.getPayTokenCharges, { tokenId: result.tokenId, currency: 'USD' })).charged.amountMinor;
        if (charged < 1500) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(charged, 1500);
      const b = await runOnce(acts.getWalletBalance, { currency: 'USD' });
      assert.deepEqual([b.available.amountMinor, b.held.amountMinor], [48500, 0], 'the money left the wallet; nothing stays held');
      assert.doesNotMatch(JSON.stringify(result), /eyJ/); // no JWT in what reaches history
    });

    it('never reserves twice: a lost create answer ends in SKYFIRE_OUTCOME_UNKNOWN, not a second token', async () => {
      await sb.faults('skyfire', { dropNext: 1 });
      await acts.reserveSkyfire('wf-sky-1', 1500);
      await rejectsWithType(
        runWithRetries(acts.createPayToken, { step: 'refund.pay', amount: { amountMinor: 1500, currency: 'USD' } }, 'wf-sky-1'),
        'BusinessRuleError',
        (e) => {
          assert.equal(e.code, 'SKYFIRE_OUTCOME_UNKNOWN');
          assert.equal(e.nonRetryable, true);
          assert.match(e.message, /wf-sky-1\/refund\.pay/);
        },
      );
      assert.equal((await sb.records('skyfire', (r) => r.method === 'POST' && r.path === '/api/v1/tokens')).length, 1);
      const b = await runOnce(acts.getWalletBalance, { currency: 'USD' });
      assert.equal(b.held.amountMinor, 1500, 'held once');
    });

    it('never reserves twice when the process dies after the create reached Skyfire: the ledger, not a heartbeat, remembers the create', async () => {
      // The ledger records the create as sent before it leaves (heartbeats are throttled and die with
      // the process). The create is applied and never answered.
      await sb.faults('skyfire', { hangNext: 1, nextMatch: '"type":"pay"' });
      await acts.reserveSkyfire('wf-sky-crash', 1500);
      const input = { step: 'refund.pay', amount: { amountMinor: 1500, currency: 'USD' } };
      const info = (attempt: number, heartbeatDetails?: unknown) => ({
        workflowExecution: { workflowId: 'wf-sky-crash', runId: 'run-1' },
        attempt,
        heartbeatDetails,
        activityId: `act-${attempt}`,
      });
      const first = new MockActivityEnvironment(info(1), { logger });
      const heartbeats: unknown[] = [];
      first.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const dying = first.run(acts.createPayToken, input).catch(() => undefined);
      const applied = () => sb.records('skyfire', (r) => r.method === 'POST' && r.path === '/api/v1/tokens' && r.status === 200);
      for (let i = 0; (await applied()).length === 0; i++) {
        if (i > 200) throw new Error('the pay token create never reached the sandbox');
        await new Promise((r) => setTimeout(r, 20));
      }
      first.cancel();
      await dying;
      const second = new MockActivityEnvironment(info(2, heartbeats[0]), { logger });
      await rejectsWithType(second.run(acts.createPayToken, input), 'BusinessRuleError', (e) =>
        assert.equal(e.code, 'SKYFIRE_OUTCOME_UNKNOWN'),
      );
      assert.equal((await applied()).length, 1, 'one pay token reserved');
      // A `clear` proves only that the attempt which recorded it created nothing, not any later one.
      const later = new MockActivityEnvironment(info(3, { stage: 'clear', attempt: 1 }), { logger });
      await rejectsWithType(later.run(acts.createPayToken, input), 'BusinessRuleError');
      assert.equal((await applied()).length, 1);
    });

    it('retries freely when Skyfire answered no (429 before the create): one token in the end', async () => {
      await sb.faults('skyfire', { rateLimitNext: 2 });
      await acts.reserveSkyfire('wf-sky-2', 700);
      const { result, attempts } = await runWithRetries(
        acts.createPayToken,
        { step: 'refund.pay', amount: { amountMinor: 700, currency: 'USD' } },
        'wf-sky-2',
      );
      assert.ok(attempts >= 2);
      assert.equal(result.handedOver, true);
      assert.equal((await sb.records('skyfire', (r) => r.method === 'POST' && r.path === '/api/v1/tokens' && r.status === 200)).length, 1);
    });

    it('refuses to create a pay token for money the ledger has not reserved', async () => {
      await rejectsWithType(
        runOnce(acts.createPayToken, { step: 'refund.pay', amount: { amountMinor: 1500, currency: 'USD' } }, 'wf-unreserved'),
        'ValidationError',
        (e) => assert.equal(e.code, 'NOT_RESERVED'),
      );
      assert.equal((await sb.records('skyfire', (r) => r.method === 'POST')).length, 0);
    });

    it('fails closed with InsufficientFundsError when the wallet is too low, creating nothing', async () => {
      await sb.control('/skyfire/wallet', { balance: '5.00' });
      await acts.reserveSkyfire('wf-test', 4000);
      await rejectsWithType(
        runOnce(acts.createPayToken, { step: 'refund.pay', amount: { amountMinor: 4000, currency: 'USD' } }),
        'InsufficientFundsError',
      );
      assert.equal((await sb.records('skyfire', (r) => r.method === 'POST')).length, 0);
    });

    it('creates a KYA token tagged with the case (it holds no funds)', async () => {
      const a = await runOnce(acts.createKyaToken, { step: 'kya' }, 'wf-kya');
      assert.equal(a.buyerTag, 'wf-kya/kya');
      assert.equal((await runOnce(acts.getWalletBalance, { currency: 'USD' })).held.amountMinor, 0);
    });
  });

  describe('HubSpot', () => {
    it('finds the contact, its owner with the Slack user, and the renewal deal', async () => {
      const lookups: string[] = [];
      const withSlack = activitiesOver({
        ...sb.clients,
        slack: { ...sb.clients.slack, lookupUserIdByEmail: async (e: string) => (lookups.push(e), 'U0OWN0001') },
      });
      const c = await runOnce(withSlack.findContact, { accountId: 'INITECH-003' });
      assert.deepEqual(
        { id: c?.id, ownerId: c?.ownerId, email: c?.email },
        { id: '503', ownerId: '9001', email: 'finance@initech.example' },
      );
      const o = await runOnce(withSlack.getOwner, { ownerId: '9001' });
      assert.deepEqual(o, { id: '9001', slackUserId: 'U0OWN0001', name: 'Olivia Owner' });
      assert.deepEqual(lookups, ['olivia.owner@ourco.example']);
      assert.equal(await runOnce(withSlack.getOwner, { ownerId: '1' }), null);
      const deals = await runOnce(withSlack.getDeals, { contactId: '503' });
      assert.deepEqual(
        deals.map((d) => [d.id, d.name, d.amount?.amountMinor, d.closeDate]),
        [['7001', 'Initech renewal 2027', 89900, '2026-11-01']],
      );
      assert.equal((await runOnce(acts.findContact, { accountId: 'GLOBEX-002' }))?.tier, 'vip');
    });

    it('adds a note and an owner task once per step', async () => {
      const first = await runOnce(
        acts.addCrmNote,
        { step: 'collections.note', contactId: '505', body: 'Promise to pay by 2026-12-01' },
        'wf-hs',
      );
      const again = await runOnce(
        acts.addCrmNote,
        { step: 'collections.note', contactId: '505', body: 'Promise to pay by 2026-12-01' },
        'wf-hs',
      );
      assert.equal(again.id, first.id);
      const task = await runOnce(
        acts.createOwnerTask,
        {
          step: 'collections.task',
          ownerId: '9001',
          contactId: '505',
          subject: 'Follow up',
          body: 'Unpaid at deadline',
          dueAt: '2026-12-02T09:00:00Z',
        },
        'wf-hs',
      );
      assert.equal(task.object, 'task');
      assert.equal(((await sb.control('/hubspot/objects/notes')) as unknown[]).length, 1);
      await rejectsWithType(
        runOnce(acts.createOwnerTask, { step: 't', ownerId: '9001', subject: 's', body: 'b', dueAt: 'tomorrow' }),
        'ValidationError',
      );
    });
  });

  describe('Zendesk', () => {
    const ticket = {
      step: 'ticket.open',
      subject: 'Refund request INV-1001',
      publicComment: 'We received your request.',
      internalNote: 'Billing note: refund 25.00, owner U0FIN0001',
      priority: 'high' as const,
      requesterEmail: 'billing@acme.example',
      tags: ['refund'],
    };

    it('opens one ticket with one internal note even when the create response is lost', async () => {
      await sb.faults('zendesk', { dropNext: 1 });
      const { result, attempts } = await runWithRetries(acts.openTicket, ticket, 'wf-zd-1');
      assert.equal(attempts, 2);
      const tickets = (await sb.control('/zendesk/tickets')) as { id: number; comments: { public: boolean; body: string }[] }[];
      assert.equal(tickets.length, 2); // seed + ours
      const ours = tickets.find((t) => String(t.id) === result.id)!;
      assert.deepEqual(
        ours.comments.map((c) => c.public),
        [true, false],
      );
      assert.ok(result.url?.endsWith(`/agent/tickets/${result.id}`));
    });

    it('reuses an existing ticket and adds notes once per step', async () => {
      const acme = { accountId: 'ACME-001', emails: ['billing@acme.example'] };
      const r = await runOnce(acts.openTicket, { ...ticket, existingTicketId: '9001', owner: acme }, 'wf-zd-2');
      assert.equal(r.id, '9001');
      assert.equal(r.refusedTicketId, undefined);
      await runOnce(acts.addTicketNote, { step: 'note.1', ticketId: '9001', body: 'Refund recorded', public: false }, 'wf-zd-2');
      await runOnce(acts.addTicketNote, { step: 'note.1', ticketId: '9001', body: 'Refund recorded', public: false }, 'wf-zd-2');
      const comments = await sb.clients.zendesk.listComments(9001);
      assert.equal(comments.filter((c) => c.body.startsWith('Refund recorded')).length, 1);
      await rejectsWithType(runOnce(acts.addTicketNote, { step: 'n', ticketId: 'abc', body: 'x', public: false }), 'ValidationError');
    });

    it('the final ticket update carries a kept public comment: each comment once, the status set, however many answers are lost', async () => {
      // settleTicket writes the comment, the note and the status in three writes: lose the first one, two, then all three answers.
      for (const drop of [1, 2, 3]) {
        await sb.reset();
        await sb.faults('zendesk', { dropNext: drop });
        const workflowId = `wf-zd-settle-${drop}`;
        const { attempts } = await runWithRetries(
          acts.settleTicket,
          {
            step: 'ticket.final',
            ticketId: '9001',
            status: 'solved' as const,
            note: 'Billing note: refund recorded',
            comment: { step: 'refund.confirm.public', body: 'Your refund of USD 25.00 has been issued.', public: true },
          },
          workflowId,
          drop + 2,
        );
        assert.ok(attempts > 1, `drop ${drop}: a lost answer made it retry`);
        const comments = await sb.clients.zendesk.listComments(9001);
        const confirmations = comments.filter((c) => c.body.startsWith('Your refund of USD 25.00'));
        assert.deepEqual(
          confirmations.map((c) => c.public),
          [true],
          `drop ${drop}: one public confirmation`,
        );
        assert.equal(comments.filter((c) => c.body.startsWith('Billing note: refund recorded')).length, 1, `drop ${drop}: one note`);
        const tickets = (await sb.control('/zendesk/tickets')) as { id: number; status: string }[];
        assert.equal(tickets.find((t) => t.id === 9001)?.status, 'solved');
        // The same step through addTicketNote (a case that wrote it before this change) is the same comment: not written again.
        await runOnce(
          acts.addTicketNote,
          { step: 'refund.confirm.public', ticketId: '9001', body: 'Your refund of USD 25.00 has been issued.', public: true },
          workflowId,
        );
        assert.equal((await sb.clients.zendesk.listComments(9001)).filter((c) => c.body.startsWith('Your refund of USD 25.00')).length, 1);
      }
    });

    it("a retried ticket open resumes from the ticket an earlier attempt settled on: the ownership check and the caller's public comment run once", async () => {
      const acme = { accountId: 'ACME-001', emails: ['billing@acme.example'] };
      // The internal note's write fails twice: attempts 2 and 3 write only that note.
      await sb.faults('zendesk', { failNext: 2, nextMatch: 'resume check' });
      const { result, attempts } = await runWithRetries(
        acts.openTicket,
        { ...ticket, step: 'ticket.open.resume', internalNote: 'Billing note: resume check', existingTicketId: '9001', owner: acme },
        'wf-zd-open-resume',
        3,
      );
      assert.equal(attempts, 3);
      assert.equal(result.id, '9001');
      assert.equal(
        (await sb.records('zendesk', (r) => r.method === 'GET' && r.path === '/api/v2/tickets/9001.json')).length,
        1,
        'ownership read once',
      );
      const comments = await sb.clients.zendesk.listComments(9001);
      assert.equal(comments.filter((c) => c.public && c.body === ticket.publicComment).length, 1);
      assert.equal(comments.filter((c) => c.body.startsWith('Billing note: resume check')).length, 1);
    });

    it("forged progress (heartbeat details anyone with namespace access can record) never skips the ownership check: another customer's ticket stays untouched (outside review, stop 29)", async () => {
      const globex = { accountId: 'GLOBEX-002', emails: ['ap@globex.example'] };
      const input = { ...ticket, step: 'ticket.forged', requesterEmail: 'ap@globex.example', existingTicketId: '9001', owner: globex };
      const before = (await sb.clients.zendesk.listComments(9001)).length;
      const attempt2 = (heartbeatDetails: unknown) =>
        new MockActivityEnvironment(
          {
            workflowExecution: { workflowId: 'wf-zd-forged', runId: 'run-1' },
            attempt: 2,
            heartbeatDetails,
            activityId: 'act-1',
            activityType: 'openTicket',
          },
          { logger },
        );
      // Plain details, as the reviewer recorded them; then details in the signed shape with a made-up MAC.
      for (const forged of [
        { ticketId: 9001, callers: true },
        { progress: { ticketId: 9001, callers: true }, mac: 'AAAA' },
      ]) {
        const r: TicketRef = await attempt2(forged).run(acts.openTicket, input);
        assert.notEqual(r.id, '9001', JSON.stringify(forged));
        assert.equal(r.refusedTicketId, '9001');
      }
      assert.equal((await sb.clients.zendesk.listComments(9001)).length, before, "nothing was written into Acme's ticket");
      assert.ok(
        (await sb.records('zendesk', (r) => r.method === 'GET' && r.path === '/api/v2/tickets/9001.json')).length >= 2,
        'each attempt ran the ownership check',
      );
    });

    it("progress signed for another input or another case is not this attempt's: ignored", async () => {
      // Signed by the real worker for the first input: its own retry resumes; the same details
      // offered to a changed input, or to another case, start over.
      const heartbeats: unknown[] = [];
      const acme = { accountId: 'ACME-001', emails: ['billing@acme.example'] };
      const input = { ...ticket, step: 'ticket.bound', existingTicketId: '9001', owner: acme };
      const first = new MockActivityEnvironment(
        { workflowExecution: { workflowId: 'wf-zd-bound', runId: 'run-1' }, attempt: 1, activityId: 'act-1', activityType: 'openTicket' },
        { logger },
      );
      first.on('heartbeat', (d: unknown) => heartbeats.push(d));
      await first.run(acts.openTicket, input);
      const signed = heartbeats.at(-1);
      const ownershipReads = () => sb.records('zendesk', (r) => r.method === 'GET' && r.path === '/api/v2/tickets/9001.json');
      const readsAfterFirst = (await ownershipReads()).length;
      const again = (workflowId: string, i: typeof input) =>
        new MockActivityEnvironment(
          {
            workflowExecution: { workflowId, runId: 'run-1' },
            attempt: 2,
            heartbeatDetails: signed,
            activityId: 'act-1',
            activityType: 'openTicket',
          },
          { logger },
        ).run(acts.openTicket, i);
      await again('wf-zd-bound', input);
      assert.equal((await ownershipReads()).length, readsAfterFirst, 'its own retry resumed: no second ownership check');
      await again('wf-zd-bound', { ...input, internalNote: 'another note' });
      assert.equal((await ownershipReads()).length, readsAfterFirst + 1, 'another input: checked again');
      await again('wf-zd-other-case', input);
      assert.equal((await ownershipReads()).length, readsAfterFirst + 2, 'another case: checked again');
    });

    it('a retried final ticket update resumes after the steps an earlier attempt finished: it does not redo the comments or the assignment', async () => {
      // The status write fails twice: attempts 2 and 3 should write the status only (through an API
      // failing one request in five, redoing all seven requests each time left cases retrying for minutes).
      await sb.faults('zendesk', { failNext: 2, nextMatch: '"status":"solved"' });
      const { attempts } = await runWithRetries(
        acts.settleTicket,
        {
          step: 'ticket.final.resume',
          ticketId: '9001',
          status: 'solved' as const,
          note: 'Billing note: resumed',
          comment: { step: 'refund.confirm.resume', body: 'Your refund of USD 7.00 has been issued.', public: true },
        },
        'wf-zd-settle-resume',
        3,
      );
      assert.equal(attempts, 3);
      const ticketRequests = await sb.records('zendesk', (r) => r.path.startsWith('/api/v2/tickets/9001'));
      assert.equal(ticketRequests.filter((r) => r.method === 'GET').length, 2, 'the two comment look-ups ran once, in the first attempt');
      assert.equal(ticketRequests.filter((r) => r.method === 'PUT').length, 2 + 3, 'two comments once, then the status three times');
      const comments = await sb.clients.zendesk.listComments(9001);
      assert.equal(comments.filter((c) => c.body.startsWith('Billing note: resumed')).length, 1);
      const tickets = (await sb.control('/zendesk/tickets')) as { id: number; status: string }[];
      assert.equal(tickets.find((t) => t.id === 9001)?.status, 'solved');
    });

    it("never writes into a caller-named ticket Zendesk says is another customer's: opens its own and says so (issue 22)", async () => {
      const before = (await sb.clients.zendesk.listComments(9001)).length;
      const globex = { accountId: 'GLOBEX-002', emails: ['ap@globex.example'] };
      const r = await runOnce(
        acts.openTicket,
        { ...ticket, requesterEmail: 'ap@globex.example', existingTicketId: '9001', owner: globex },
        'wf-zd-own',
      );
      assert.notEqual(r.id, '9001');
      assert.equal(r.refusedTicketId, '9001');
      assert.equal((await sb.clients.zendesk.listComments(9001)).length, before, "nothing was written into Acme's ticket");
      // A ticket Zendesk does not know is not the caller's either.
      const unknown = await runOnce(acts.openTicket, { ...ticket, existingTicketId: '123456', owner: globex }, 'wf-zd-own-2');
      assert.equal(unknown.refusedTicketId, '123456');
    });

    it('a ticket without a verified email on file has no requester and no public comment, and says why (issue 22)', async () => {
      const r = await runOnce(acts.openTicket, { ...ticket, requesterEmail: undefined }, 'wf-zd-noemail');
      assert.equal(r.publicComments, false);
      const tickets = (await sb.control('/zendesk/tickets')) as {
        id: number;
        requester_email: string | null;
        comments: { public: boolean; body: string }[];
      }[];
      const ours = tickets.find((t) => String(t.id) === r.id)!;
      assert.equal(ours.requester_email, null);
      assert.ok(
        ours.comments.every((c) => !c.public),
        'every comment is internal',
      );
      assert.match(ours.comments[0].body, /no verified email on file/);
    });
  });

  describe('Gmail', () => {
    it('emails only a verified address, once even when the first response is lost', async () => {
      await rejectsWithType(
        runOnce(acts.sendCustomerEmail, { step: 'followup', to: 'stranger@example.net', subject: 'Hi', body: 'Hello' }),
        'UnverifiedRecipientError',
      );
      assert.equal((await sb.records('gmail')).length, 0);
      await sb.faults('gmail', { dropNext: 1 });
      const { result, attempts } = await runWithRetries(
        acts.sendCustomerEmail,
        { step: 'followup', to: 'finance@initech.example', subject: 'Your renewal', body: 'Please update your payment method.' },
        'wf-gm-1',
      );
      assert.equal(attempts, 2);
      assert.equal(result.system, 'gmail');
      assert.equal(((await sb.control('/gmail/sent')) as unknown[]).length, 1);
    });
  });

  describe('Drive', () => {
    it('archives the invoice PDF in the case folder exactly once when the upload response is lost (409 -> existing)', async () => {
      // Drop only the upload's response: the folder is created first (also a POST).
      let uploads = 0;
      const orig = sb.clients.drive.uploadFile.bind(sb.clients.drive);
      sb.clients.drive.uploadFile = async (f) => {
        if (uploads++ === 0) await sb.faults('drive', { dropNext: 1 });
        return orig(f);
      };
      try {
        const { result, attempts } = await runWithRetries(
          acts.archiveDocument,
          { step: 'archive.invoice', kind: 'invoice_pdf', name: 'INV-1001.pdf', invoiceId: '1001' },
          'wf-drive-1',
        );
        assert.equal(attempts, 2);
        const files = (await sb.control('/drive/files')) as { id: string; name: string; parents: string[]; mimeType: string }[];
        const pdfs = files.filter((f) => f.name === 'INV-1001.pdf');
        assert.equal(pdfs.length, 1);
        assert.equal(pdfs[0].id, result.id);
        const folder = files.find((f) => f.id === pdfs[0].parents[0])!;
        assert.equal(folder.name, 'wf-drive-1');
        assert.equal(files.filter((f) => f.name === 'wf-drive-1').length, 1);
        assert.equal((await sb.records('drive', (r) => r.status === 409)).length >= 1, true);
        const pdf = await fetch(`${sb.url}/_sandbox/drive/files/${result.id}`);
        assert.equal((await pdf.text()).slice(0, 5), '%PDF-');
      } finally {
        sb.clients.drive.uploadFile = orig;
      }
    });

    it('archives evidence text, and refuses a document with nothing to archive', async () => {
      const r = await runOnce(
        acts.archiveDocument,
        { step: 'evidence', kind: 'evidence', name: 'evidence.txt', text: 'Transcript: https://example/t' },
        'wf-drive-2',
      );
      assert.ok(r.url);
      await rejectsWithType(runOnce(acts.archiveDocument, { step: 'x', kind: 'invoice_pdf', name: 'a.pdf' }), 'ValidationError');
    });
  });
});
