/**
 * Where refreshed OAuth tokens live between processes and restarts: one AES-256-GCM sealed file per
 * system in a folder every worker process shares (CREDENTIALS_DIR), plus a lock directory per
 * system so only one process refreshes at a time. Intuit rotates refresh tokens: if two workers
 * refreshed with the same token, the loser's would be dead, so the refresh runs under the lock and
 * re-reads the file first (another process may have refreshed while we waited).
 *
 * Why a lock directory and not a Temporal-based lock: the refresh happens inside an activity's HTTP
 * call, in milliseconds, and the token must never pass through workflow history; `mkdir` is atomic
 * on local disks and NFS alike, and the store has to be shared storage anyway (docs/connectors.md).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodecKeyring } from '../temporal/codec';
import { TransientError, type ConnectorSystem } from './errors';

/** What is kept per system. Times in epoch milliseconds. */
export interface StoredToken {
  accessToken: string;
  expiresAt: number;
  /** The newest refresh token (Intuit rotates it). Absent for Google (its refresh token does not rotate). */
  refreshToken?: string;
  refreshExpiresAt?: number;
  /** When this access token was obtained: the refresh margin is a share of its life. */
  obtainedAt?: number;
  /** Fingerprint of the configured seed (QBO_REFRESH_TOKEN, the Google key) the state grew from: a new seed (reconnect) replaces the state. */
  seed: string;
}

const FORMAT = 'dnx-token-store-v1';
/** A lock older than this belongs to a crashed process (a refresh is one HTTP call with a 10 s timeout). */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 25_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TokenStore {
  constructor(
    private readonly dir: string,
    private readonly keyring: CodecKeyring,
  ) {}

  private file(system: ConnectorSystem): string {
    return path.join(this.dir, `${system}.token`);
  }

  private aad(system: ConnectorSystem, keyId: string): Buffer {
    return Buffer.from(`${FORMAT}:${system}:${keyId}`);
  }

  /** The stored state, or undefined when there is none or it cannot be opened (then the seed is used). */
  read(system: ConnectorSystem): StoredToken | undefined {
    let raw: string;
    try {
      raw = fs.readFileSync(this.file(system), 'utf8');
    } catch {
      return undefined;
    }
    const sealed = JSON.parse(raw) as { format: string; kid: string; iv: string; data: string; tag: string };
    const key = this.keyring.keys.get(sealed.kid);
    if (sealed.format !== FORMAT || !key)
      throw new Error(`${this.file(system)}: sealed with key "${sealed.kid}", which CODEC_KEYS no longer holds`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(this.aad(system, sealed.kid));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as StoredToken;
  }

  /** Seals and writes atomically (temp file + rename): a crash leaves the old state or the new, never half. */
  write(system: ConnectorSystem, state: StoredToken): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const kid = this.keyring.activeKeyId;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.keys.get(kid) as Buffer, iv);
    cipher.setAAD(this.aad(system, kid));
    const data = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
    const sealed = {
      format: FORMAT,
      kid,
      iv: iv.toString('base64'),
      data: data.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    };
    const tmp = `${this.file(system)}.${process.pid}.${randomUUID()}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(sealed));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file(system));
  }

  /** Runs `fn` holding the system's refresh lock (one holder across every process sharing the folder). */
  async withLock<T>(system: ConnectorSystem, fn: () => Promise<T>): Promise<T> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lock = path.join(this.dir, `${system}.lock`);
    const owner = `${os.hostname()}:${process.pid}:${randomUUID()}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        fs.mkdirSync(lock);
        fs.writeFileSync(path.join(lock, 'owner'), owner);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = lockAge(lock);
        if (age !== undefined && age > STALE_LOCK_MS) {
          // The holder died mid-refresh. Renaming first makes the break itself atomic: of two
          // processes breaking the same stale lock, only one rename succeeds.
          try {
            fs.renameSync(lock, `${lock}.stale.${randomUUID()}`);
          } catch {
            /* another process broke it first */
          }
          continue;
        }
        if (Date.now() > deadline)
          throw new TransientError({ system }, `token refresh lock ${lock} held for over ${LOCK_WAIT_MS / 1000} s`);
        await sleep(25 + Math.random() * 50);
      }
    }
    try {
      return await fn();
    } finally {
      try {
        if (fs.readFileSync(path.join(lock, 'owner'), 'utf8') === owner) fs.rmSync(lock, { recursive: true, force: true });
      } catch {
        /* already broken as stale */
      }
      for (const f of fs.readdirSync(this.dir))
        if (f.startsWith(`${system}.lock.stale.`)) fs.rmSync(path.join(this.dir, f), { recursive: true, force: true });
    }
  }
}

function lockAge(lock: string): number | undefined {
  try {
    return Date.now() - fs.statSync(lock).mtimeMs;
  } catch {
    return undefined;
  }
}
