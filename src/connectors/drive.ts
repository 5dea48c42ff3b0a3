/**
 * Google Drive v3 client (our own, over the shared HTTP layer; see docs/connectors.md for why not
 * `@googleapis/drive`). Exactly-once creation uses pre-generated ids: the caller keeps the id
 * across retries; a create that already happened answers 409, and we fetch the existing file.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectorsConfig } from '../config/types';
import { HttpClient } from './http';
import { describeGoogleError } from './gmail';
import { driveDescription, driveFileName } from './encoding';

export const FOLDER_MIME_TYPE = 'application/vnd.google-apps.folder';
const FILE_FIELDS = 'id,name,mimeType,parents,webViewLink,appProperties';

export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents?: string[];
  webViewLink?: string;
  appProperties?: Record<string, string>;
}

export interface NewDriveFile {
  /** A pre-generated id (from `generateIds`), kept across retries. */
  id: string;
  name: string;
  parentId: string;
  description?: string;
  appProperties?: Record<string, string>;
}

/** Escapes a literal for a Drive `q` string. */
const lit = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export class DriveClient {
  private readonly http: HttpClient;
  private readonly upload: HttpClient;
  readonly rootFolderId: string;
  constructor(cfg: ConnectorsConfig['drive'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.rootFolderId = cfg.rootFolderId;
    const common = {
      system: 'drive' as const,
      headers: () => ({ authorization: `Bearer ${cfg.token}` }),
      describeError: describeGoogleError,
      ...opts,
    };
    this.http = new HttpClient({ ...common, baseUrl: `${cfg.baseUrl}/drive/v3` });
    this.upload = new HttpClient({ ...common, baseUrl: `${cfg.baseUrl}/upload/drive/v3` });
  }

  async generateIds(count = 1): Promise<string[]> {
    const res = await this.http.request<{ ids: string[] }>({
      method: 'GET',
      path: '/files/generateIds',
      query: { count, space: 'drive', type: 'files' },
    });
    return res.body.ids;
  }

  async getFile(id: string): Promise<DriveFile> {
    return (
      await this.http.request<DriveFile>({
        method: 'GET',
        path: `/files/${encodeURIComponent(id)}`,
        query: { fields: FILE_FIELDS, supportsAllDrives: true },
      })
    ).body;
  }

  async findFolder(name: string, parentId: string): Promise<DriveFile | undefined> {
    const q = `name = ${lit(driveFileName(name))} and mimeType = '${FOLDER_MIME_TYPE}' and ${lit(parentId)} in parents and trashed = false`;
    const res = await this.http.request<{ files: DriveFile[] }>({
      method: 'GET',
      path: '/files',
      query: { q, fields: `files(${FILE_FIELDS})`, supportsAllDrives: true, includeItemsFromAllDrives: true },
    });
    return res.body.files[0];
  }

  /** Creates a folder with a pre-generated id; 409 (an earlier attempt created it) returns it. */
  async createFolder(file: NewDriveFile): Promise<DriveFile & { existed: boolean }> {
    const res = await this.http.request<DriveFile>({
      method: 'POST',
      path: '/files',
      query: { fields: FILE_FIELDS, supportsAllDrives: true },
      body: {
        id: file.id,
        name: driveFileName(file.name),
        mimeType: FOLDER_MIME_TYPE,
        parents: [file.parentId],
        ...(file.description ? { description: driveDescription(file.description) } : {}),
        ...(file.appProperties ? { appProperties: file.appProperties } : {}),
      },
      passStatuses: [409],
    });
    if (res.status === 409) return { ...(await this.getFile(file.id)), existed: true };
    return { ...res.body, existed: false };
  }

  /** Finds the folder by name under the parent, or creates it with `newId`. */
  async findOrCreateFolder(name: string, parentId: string, newId: () => Promise<string>): Promise<DriveFile> {
    return (await this.findFolder(name, parentId)) ?? (await this.createFolder({ id: await newId(), name, parentId }));
  }

  /** Multipart upload (<= 5 MB) with a pre-generated id; 409 returns the file an earlier attempt created. */
  async uploadFile(file: NewDriveFile & { mimeType: string; data: Buffer }): Promise<DriveFile & { existed: boolean }> {
    const boundary = `dnx${randomBytes(12).toString('hex')}`;
    const meta = {
      id: file.id,
      // Names and descriptions may carry a caller's words: encoded here, the one place Drive files are named.
      name: driveFileName(file.name),
      parents: [file.parentId],
      mimeType: file.mimeType,
      ...(file.description ? { description: driveDescription(file.description) } : {}),
      ...(file.appProperties ? { appProperties: file.appProperties } : {}),
    };
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify(meta)}\r\n--${boundary}\r\nContent-Type: ${file.mimeType}\r\n\r\n`,
      ),
      file.data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await this.upload.request<DriveFile>({
      method: 'POST',
      path: '/files',
      query: { uploadType: 'multipart', fields: FILE_FIELDS, supportsAllDrives: true },
      headers: { 'content-type': `multipart/related; boundary=${boundary}` },
      body,
      passStatuses: [409],
    });
    if (res.status === 409) return { ...(await this.getFile(file.id)), existed: true };
    return { ...res.body, existed: false };
  }
}
