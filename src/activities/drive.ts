/**
 * Drive business step: archive a document (invoice PDF, credit note PDF from QuickBooks, or an
 * evidence text) in the case's folder. Exactly-once through pre-generated ids: the id is taken
 * from an earlier attempt's heartbeat details when there is one (signed by this worker for this
 * case, activity and input: src/proofs/attempt-progress.ts), so the retried create hits 409 and we
 * return the file the first attempt made.
 */
import type { CaseActivities } from './contract';
import type { RecordRef } from '../domain/case-state';
import type { DriveClient } from '../connectors/drive';
import type { QuickBooksClient } from '../connectors/quickbooks';
import { NotFoundError, ValidationError } from '../connectors/errors';
import { driveText } from '../connectors/encoding';
import { currentCase, log, stepKey } from './support';
import { attemptProgress } from './progress';

export interface DriveActivityDeps {
  drive: DriveClient;
  /** Signs what an attempt leaves the next one (src/proofs/attempt-progress.ts): the decision key. */
  progressKey: string;
  /** Source of invoice / credit note PDFs. */
  quickbooks: QuickBooksClient;
}

type DriveActivities = Pick<CaseActivities, 'archiveDocument'>;

/** What an attempt remembers for the next one (Temporal keeps the last heartbeat's details). */
interface DriveProgress {
  folderId?: string;
  fileId?: string;
}

export function createDriveActivities(deps: DriveActivityDeps): DriveActivities {
  const { drive, quickbooks } = deps;

  async function content(input: Parameters<CaseActivities['archiveDocument']>[0]): Promise<{ data: Buffer; mimeType: string }> {
    switch (input.kind) {
      case 'invoice_pdf':
        if (!input.invoiceId) throw new ValidationError({ system: 'drive' }, 'invoiceId is required for invoice_pdf');
        return { data: await quickbooks.pdf('Invoice', input.invoiceId), mimeType: 'application/pdf' };
      case 'credit_note': {
        if (!input.recordId) throw new ValidationError({ system: 'drive' }, 'recordId is required for credit_note');
        try {
          return { data: await quickbooks.pdf('CreditMemo', input.recordId), mimeType: 'application/pdf' };
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          return { data: await quickbooks.pdf('RefundReceipt', input.recordId), mimeType: 'application/pdf' };
        }
      }
      case 'evidence':
        if (!input.text?.trim()) throw new ValidationError({ system: 'drive' }, 'text is required for evidence');
        // It carries a caller's words: encoded as every other destination's text is (encoding.ts).
        return { data: Buffer.from(driveText(input.text), 'utf8'), mimeType: 'text/plain' };
      default:
        throw new ValidationError({ system: 'drive' }, `unknown document kind ${String(input.kind)}`);
    }
  }

  return {
    async archiveDocument(input): Promise<RecordRef> {
      if (!input.name?.trim() || input.name.length > 200)
        throw new ValidationError({ system: 'drive' }, 'name is required (at most 200 characters)');
      // Signed for this case, activity and input: forged ids (another folder, another file) are ignored.
      const kept = attemptProgress<DriveProgress>(deps.progressKey, input);
      const progress = kept.done;
      const remember = kept.save;
      const key = stepKey('drive', input.step, 32);
      const { data, mimeType } = await content(input);

      const caseFolder = currentCase().workflowId;
      if (!progress.folderId) {
        const folder = await drive.findOrCreateFolder(caseFolder, drive.rootFolderId, async () => {
          progress.folderId = (await drive.generateIds(1))[0];
          remember();
          return progress.folderId;
        });
        progress.folderId = folder.id;
      } else {
        // An earlier attempt chose (and maybe created) the folder: create it with that id; 409 is fine.
        await drive.createFolder({ id: progress.folderId, name: caseFolder, parentId: drive.rootFolderId });
      }
      if (!progress.fileId) {
        progress.fileId = (await drive.generateIds(1))[0];
      }
      remember();
      const file = await drive.uploadFile({
        id: progress.fileId,
        name: input.name,
        parentId: progress.folderId,
        mimeType,
        data,
        appProperties: { caseStep: key },
      });
      log('document archived', { fileId: file.id, existed: file.existed, kind: input.kind, step: input.step });
      return { system: 'drive', object: 'file', id: file.id, ...(file.webViewLink ? { url: file.webViewLink } : {}) };
    },
  };
}
