/**
 * Google Drive v3 stand-in: `files.generateIds`, metadata create (folders) at `/drive/v3/files`,
 * multipart upload at `/upload/drive/v3/files?uploadType=multipart`, get, and list with the `q`
 * forms we use (name, mimeType, `'<id>' in parents`, trashed). A pre-generated id used twice gets
 * 409, ids not issued by generateIds get 400, unknown parents 404. `fields` trims the response
 * (default: kind, id, name, mimeType). Files can be viewed at `/_sandbox/drive/files/<id>`.
 */
import express, { type Request, type Response } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS, bearer } from '../support';
import { googleError } from './gmail';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';

interface DriveFile {
  kind: 'drive#file';
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  description?: string;
  appProperties?: Record<string, string>;
  size?: string;
  createdTime: string;
  modifiedTime: string;
  trashed: boolean;
  content?: Buffer;
}

/** Parses `multipart/related` (metadata JSON part + media part). */
export function parseMultipartRelated(
  body: Buffer,
  contentType: string,
): { metadata: unknown; media?: { type: string; data: Buffer } } | string {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) return 'Missing boundary in multipart/related content type';
  const delim = Buffer.from(`--${m[1]}`);
  const parts: Buffer[] = [];
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    parts.push(body.subarray(start, next));
    pos = next;
  }
  const parsed = parts.map((p) => {
    const text = p.toString('latin1');
    const sep = text.search(/\r?\n\r?\n/);
    const head = text.slice(0, sep);
    const sepLen = /^\r?\n\r?\n/.exec(text.slice(sep))![0].length;
    let data = p.subarray(sep + sepLen);
    if (data.subarray(-2).toString() === '\r\n') data = data.subarray(0, -2);
    else if (data.subarray(-1).toString() === '\n') data = data.subarray(0, -1);
    const type = /content-type:\s*([^\r\n;]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream';
    const b64 = /content-transfer-encoding:\s*base64/i.test(head);
    return { type, data: b64 ? Buffer.from(data.toString('latin1'), 'base64') : data };
  });
  if (parsed.length < 1 || !parsed[0].type.includes('json')) return 'The first part of a multipart upload must be JSON metadata';
  let metadata: unknown;
  try {
    metadata = JSON.parse(parsed[0].data.toString('utf8'));
  } catch {
    return 'Invalid JSON metadata part';
  }
  return { metadata, media: parsed[1] };
}

const DEFAULT_FIELDS = ['kind', 'id', 'name', 'mimeType'];

export function createDriveSystem(): SandboxSystem {
  let files = new Map<string, DriveFile>();
  let issued = new Set<string>();
  let counter = 0;
  const reset = () => {
    const t = '2026-01-01T00:00:00.000Z';
    files = new Map([
      [
        'root',
        {
          kind: 'drive#file',
          id: 'root',
          name: 'My Drive',
          mimeType: FOLDER_MIME,
          parents: [],
          createdTime: t,
          modifiedTime: t,
          trashed: false,
        },
      ],
    ]);
    issued = new Set();
    counter = 0;
  };
  reset();

  const newId = () => {
    counter++;
    // Drive ids: 33 url-safe characters.
    return `1sbx${Date.now().toString(36)}${counter.toString(36).padStart(4, '0')}${Math.random().toString(36).slice(2)}`
      .padEnd(33, 'x')
      .slice(0, 33);
  };
  const host = (req: Request) => `${req.protocol}://${req.get('host')}`;
  const view = (req: Request, f: DriveFile) => {
    const fieldsParam = typeof req.query.fields === 'string' ? req.query.fields : '';
    const fields = fieldsParam
      ? fieldsParam
          .replace(/^files\((.*)\)$/, '$1')
          .split(',')
          .map((s) => s.trim())
      : DEFAULT_FIELDS;
    const full: Record<string, unknown> = {
      kind: f.kind,
      id: f.id,
      name: f.name,
      mimeType: f.mimeType,
      parents: f.parents,
      description: f.description,
      appProperties: f.appProperties,
      size: f.size,
      createdTime: f.createdTime,
      modifiedTime: f.modifiedTime,
      trashed: f.trashed,
      webViewLink: `${host(req)}/_sandbox/drive/files/${f.id}`,
      ...(f.mimeType !== FOLDER_MIME ? { webContentLink: `${host(req)}/_sandbox/drive/files/${f.id}?download=1` } : {}),
    };
    return fieldsParam === '*' ? full : Object.fromEntries(fields.filter((k) => full[k] !== undefined).map((k) => [k, full[k]]));
  };

  const create = (req: Request, res: Response, meta: Record<string, unknown>, media?: { type: string; data: Buffer }) => {
    if (typeof meta.name !== 'string' && !media) return googleError(res, 400, 'required', 'Required parameter: name');
    const parents = Array.isArray(meta.parents) ? (meta.parents as unknown[]).map(String) : ['root'];
    for (const p of parents) {
      const parent = files.get(p);
      if (!parent || parent.trashed) return googleError(res, 404, 'notFound', `File not found: ${p}.`);
      if (parent.mimeType !== FOLDER_MIME) return googleError(res, 400, 'invalidParent', `The parent ${p} is not a folder.`);
    }
    let id: string;
    if (typeof meta.id === 'string') {
      if (files.has(meta.id)) return googleError(res, 409, 'duplicate', 'A file already exists with the provided ID.');
      if (!issued.has(meta.id)) return googleError(res, 400, 'invalid', 'The provided file ID is not usable.');
      id = meta.id;
    } else id = newId();
    const t = new Date().toISOString();
    const f: DriveFile = {
      kind: 'drive#file',
      id,
      name: typeof meta.name === 'string' ? meta.name : 'Untitled',
      mimeType: typeof meta.mimeType === 'string' ? meta.mimeType : (media?.type ?? 'application/octet-stream'),
      parents,
      description: typeof meta.description === 'string' ? meta.description : undefined,
      appProperties: meta.appProperties as Record<string, string> | undefined,
      size: media ? String(media.data.length) : undefined,
      createdTime: t,
      modifiedTime: t,
      trashed: false,
      content: media?.data,
    };
    files.set(id, f);
    res.json(view(req, f));
  };

  const router = () => {
    const r = express.Router();
    r.use((req, res, next) => {
      if (bearer(req) !== SANDBOX_CREDENTIALS.google)
        return googleError(res, 401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
      next();
    });

    r.get('/drive/v3/files/generateIds', (req, res) => {
      const count = Number(req.query.count ?? 10);
      if (!Number.isInteger(count) || count < 1 || count > 1000)
        return googleError(res, 400, 'invalid', 'count must be between 1 and 1000');
      const ids = Array.from({ length: count }, newId);
      for (const id of ids) issued.add(id);
      res.json({ kind: 'drive#generatedIds', space: String(req.query.space ?? 'drive'), ids });
    });

    r.get('/drive/v3/files/:id', (req, res) => {
      const f = files.get(req.params.id);
      if (!f) return googleError(res, 404, 'notFound', `File not found: ${req.params.id}.`);
      if (req.query.alt === 'media') return void res.type(f.mimeType).send(f.content ?? Buffer.alloc(0));
      res.json(view(req, f));
    });

    r.get('/drive/v3/files', (req, res) => {
      const q = typeof req.query.q === 'string' ? req.query.q : '';
      const conds: ((f: DriveFile) => boolean)[] = [];
      for (const part of q ? q.split(/\s+and\s+/i) : []) {
        let m: RegExpExecArray | null;
        if ((m = /^\s*name\s*=\s*'((?:\\'|[^'])*)'\s*$/.exec(part))) {
          const v = m[1].replace(/\\'/g, "'");
          conds.push((f) => f.name === v);
        } else if ((m = /^\s*mimeType\s*(=|!=)\s*'([^']*)'\s*$/.exec(part))) {
          const [op, v] = [m[1], m[2]];
          conds.push((f) => (op === '=' ? f.mimeType === v : f.mimeType !== v));
        } else if ((m = /^\s*'([^']+)'\s+in\s+parents\s*$/.exec(part))) {
          const v = m[1];
          conds.push((f) => f.parents.includes(v));
        } else if ((m = /^\s*trashed\s*=\s*(true|false)\s*$/.exec(part))) {
          const v = m[1] === 'true';
          conds.push((f) => f.trashed === v);
        } else return googleError(res, 400, 'invalid', `Invalid Value: unsupported query term "${part}"`);
      }
      const hits = [...files.values()].filter((f) => f.id !== 'root' && conds.every((c) => c(f)));
      res.json({ kind: 'drive#fileList', incompleteSearch: false, files: hits.map((f) => view(req, f)) });
    });

    r.post('/drive/v3/files', (req, res) => create(req, res, (req.body ?? {}) as Record<string, unknown>));

    r.post('/upload/drive/v3/files', (req, res) => {
      const type = String(req.query.uploadType ?? '');
      if (type !== 'multipart') return googleError(res, 400, 'invalid', `uploadType ${type || '(none)'} is not emulated; use multipart`);
      const ct = String(req.headers['content-type'] ?? '');
      if (!ct.startsWith('multipart/related') || !Buffer.isBuffer(req.body))
        return googleError(res, 400, 'badContent', 'Multipart upload requires Content-Type multipart/related');
      const parsed = parseMultipartRelated(req.body, ct);
      if (typeof parsed === 'string') return googleError(res, 400, 'badContent', parsed);
      create(req, res, (parsed.metadata ?? {}) as Record<string, unknown>, parsed.media);
    });
    return r;
  };

  return {
    name: 'drive',
    title: 'Google Drive',
    router,
    faultBody: (status) =>
      status === 429
        ? {
            error: {
              code: 429,
              message: 'Rate Limit Exceeded',
              errors: [{ message: 'Rate Limit Exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' }],
              status: 'RESOURCE_EXHAUSTED',
            },
          }
        : {
            error: {
              code: status,
              message: 'Backend Error',
              errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }],
              status: 'UNAVAILABLE',
            },
          },
    reset,
    controlRouter() {
      const r = express.Router();
      r.get('/files', (_req, res) => res.json([...files.values()].map(({ content: _c, ...f }) => f)));
      r.get('/files/:id', (req, res) => {
        const f = files.get(req.params.id);
        if (!f) return void res.status(404).send('not found');
        if (f.mimeType === FOLDER_MIME) {
          const kids = [...files.values()].filter((k) => k.parents.includes(f.id));
          return void res
            .type('html')
            .send(
              `<h1>${f.name.replace(/</g, '&lt;')}</h1><ul>${kids.map((k) => `<li><a href="/_sandbox/drive/files/${k.id}">${k.name.replace(/</g, '&lt;')}</a></li>`).join('')}</ul>`,
            );
        }
        res.type(f.mimeType).send(f.content ?? Buffer.alloc(0));
      });
      return r;
    },
  };
}
