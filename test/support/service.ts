/**
 * The whole service as CHILD PROCESSES (sandbox, API, worker), for tests that must kill and restart
 * parts of it: SIGKILL the worker mid-activity, stop Temporal under it, fuzz the real HTTP stack.
 * Every child's stdout/stderr is captured so the PII scan can read the service's own logs.
 *
 * Each harness gets its own task queue, ports, data dir, secrets and codec key, all handed to the
 * children through the same environment variables production uses (src/config/).
 */
import { newLedgerSchema } from './ledger';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Client, Client as TemporalClient, Connection } from '@temporalio/client';
import { freePort } from '../../src/devtools/dev-server';
import type { RecordedRequest } from '../../src/sandbox/core';
import { parseKeyringSpec } from '../../src/temporal/codec';
import { createDataConverter } from '../../src/temporal/data-converter';
import { signDialNexaBody } from '../../src/intake/signature';
import { NAMESPACE, uniqueTaskQueue, workflowBundle } from './temporal';

const ENTRY = path.join(__dirname, 'service-entry.ts');
const ROOT = path.resolve(__dirname, '..', '..');

export type Role = 'sandbox' | 'api' | 'worker';

/** One running child and everything it printed. */
export interface ChildHandle {
  role: Role;
  process: ChildProcess;
  exited: Promise<number | null>;
}

let bundleFile: Promise<string> | undefined;
/** The test run's workflow bundle written to a file the worker children load (built once per run). */
function bundlePath(): Promise<string> {
  bundleFile ??= workflowBundle().then((b) => {
    const file = path.join(os.tmpdir(), `reliability-bundle-${process.pid}.js`);
    fs.writeFileSync(file, b.code);
    process.once('exit', () => fs.rmSync(file, { force: true }));
    return file;
  });
  return bundleFile;
}

export interface ServiceOptions {
  temporalAddress: string;
  /** Extra/overriding environment for API and worker (policy durations, rate limits...). */
  env?: Record<string, string>;
}

export class ServiceHarness {
  readonly taskQueue = uniqueTaskQueue('rel');
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-'));
  readonly webhookSecret = randomBytes(24).toString('hex');
  readonly slackSigningSecret = randomBytes(24).toString('hex');
  readonly apiToken = randomBytes(24).toString('hex');
  /** The decision signing key API and workers share (the test signs its own approvals with it, as the Slack route does). */
  readonly decisionKey = randomBytes(32).toString('hex');
  /** This service's own ledger schema (its sandbox's QuickBooks ids repeat across tests). */
  readonly ledgerSchema = newLedgerSchema();
  /** Production-style key spec (`kid:base64`) shared by children and the test's own client. */
  readonly codecKeys = `rel-key:${randomBytes(32).toString('base64')}`;
  sandboxPort = 0;
  apiPort = 0;
  sandbox?: ChildHandle;
  api?: ChildHandle;
  worker?: ChildHandle;
  /** Every API and worker process started, in start order (several run side by side on the cluster). */
  readonly apis: { handle: ChildHandle; url: string }[] = [];
  readonly workers: ChildHandle[] = [];
  /** Everything every child wrote to stdout and stderr, in arrival order. */
  readonly output: string[] = [];
  private readonly children = new Set<ChildHandle>();

  constructor(private opts: ServiceOptions) {}

  get sandboxUrl(): string {
    return `http://127.0.0.1:${this.sandboxPort}`;
  }
  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** Points API and workers started from now on at another Temporal address (server restart test). */
  setTemporalAddress(address: string): void {
    this.opts = { ...this.opts, temporalAddress: address };
  }

  env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      HTTP_PORT: String(this.apiPort),
      DATA_DIR: this.dataDir,
      TEMPORAL_ADDRESS: this.opts.temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      TEMPORAL_METRICS_BIND_ADDRESS: 'off',
      SANDBOX_URL: this.sandboxUrl,
      DIALNEXA_WEBHOOK_SECRET: this.webhookSecret,
      SLACK_SIGNING_SECRET: this.slackSigningSecret,
      API_TOKEN: this.apiToken,
      CODEC_KEYS: this.codecKeys,
      DECISION_SIGNING_KEY: this.decisionKey,
      // Outside development these have no default (issue 22): the sandbox's seeded finance people, named.
      APPROVERS: 'U0FIN0001,U0FIN0002',
      SECOND_TIER_APPROVERS: 'U0CFO0001',
      SLACK_FINANCE_CHANNEL: 'C0FINANCE',
      // The test servers' namespaces keep history 1 day: the freshness window must be shorter (src/intake/freshness.ts).
      TEMPORAL_RETENTION_DAYS: '1',
      WEBHOOK_MAX_CALL_AGE: '12h',
      // The storm and fuzz send thousands of requests from one IP on purpose.
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST: '100000',
      // Skyfire refunds wait for the seller's charge: look every second, not every minute.
      SKYFIRE_CHARGE_POLL_INTERVAL: '1s',
      // Every part of this service shares one ledger: the run's PostgreSQL (or the cluster's), a schema of its own.
      ...(process.env.TEST_LEDGER_URL ? { LEDGER_DATABASE_URL: process.env.TEST_LEDGER_URL } : {}),
      LEDGER_SCHEMA: this.ledgerSchema,
      ...this.opts.env,
    };
  }

  private spawnChild(role: Role, args: string[], extraEnv: Record<string, string> = {}): Promise<ChildHandle> {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, role, ...args], {
      cwd: ROOT,
      env: { ...this.env(), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const handle: ChildHandle = {
      role,
      process: child,
      exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    this.children.add(handle);
    void handle.exited.then(() => this.children.delete(handle));
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => reject(new Error(`${role} did not start within 90 s:\n${this.output.slice(-20).join('')}`)), 90_000);
      const onData = (stream: string) => (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.output.push(text);
        if (process.env.RELIABILITY_VERBOSE) process.stderr.write(`[${role}:${stream}] ${text}`);
        buffered += text;
        if (buffered.includes('READY ')) {
          clearTimeout(timer);
          buffered = '';
          resolve(handle);
        }
      };
      child.stdout.on('data', onData('out'));
      child.stderr.on('data', onData('err'));
      void handle.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${role} exited with ${code} before it was ready:\n${this.output.slice(-20).join('')}`));
      });
    });
  }

  async startSandbox(): Promise<void> {
    this.sandboxPort ||= await freePort();
    this.sandbox = await this.spawnChild('sandbox', [String(this.sandboxPort)]);
  }

  /** An API process; the first one on `apiPort`, further ones (several APIs behind one balancer) on `port`. */
  async startApi(port?: number): Promise<ChildHandle> {
    if (port === undefined) {
      this.apiPort ||= await freePort();
      port = this.apiPort;
    } else this.apiPort ||= port;
    const handle = await this.spawnChild('api', [], { HTTP_PORT: String(port) });
    this.api ??= handle;
    this.apis.push({ handle, url: `http://127.0.0.1:${port}` });
    return handle;
  }

  /** A worker process; `env` adds to its environment (e.g. another workflow build). */
  async startWorker(env: Record<string, string> = {}, bundle?: string): Promise<ChildHandle> {
    this.worker = await this.spawnChild('worker', [bundle ?? (await bundlePath())], env);
    this.workers.push(this.worker);
    return this.worker;
  }

  /** Sandbox, API and one worker. */
  async start(): Promise<void> {
    await this.startSandbox();
    await Promise.all([this.startApi(), this.startWorker()]);
  }

  /** SIGKILL: no shutdown hooks, no graceful drain — what a crashed host looks like. */
  async kill(handle: ChildHandle | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!handle || handle.process.exitCode !== null || handle.process.signalCode !== null) return;
    handle.process.kill(signal);
    await handle.exited;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.kill(c, 'SIGKILL')));
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The service's captured logs (all children). */
  logs(): string {
    return this.output.join('');
  }

  /** A Temporal client with the service's codec keys, as an operator would use. */
  async client(): Promise<Client> {
    const connection = await Connection.connect({ address: this.opts.temporalAddress });
    return new TemporalClient({ connection, namespace: NAMESPACE, dataConverter: createDataConverter(parseKeyringSpec(this.codecKeys)) });
  }

  /** POST a DialNexa webhook, signed unless `signature` says otherwise. */
  async postCall(
    body: string | object,
    opts: { signature?: string | null; contentType?: string; apiUrl?: string } = {},
  ): Promise<{ status: number; json: unknown; text: string }> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
    const sig = opts.signature === undefined ? signDialNexaBody(raw, this.webhookSecret) : opts.signature;
    if (sig !== null) headers['x-dialnexa-signature'] = sig;
    return request(`${opts.apiUrl ?? this.apiUrl}/webhooks/dialnexa`, { method: 'POST', headers, body: raw });
  }

  /** Slack's v0 signature for a body at a timestamp (seconds). */
  slackSignature(timestamp: number, body: string): string {
    return `v0=${createHmac('sha256', this.slackSigningSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  }

  async sandboxRecords(since = 0): Promise<SandboxRecord[]> {
    const res = await fetch(`${this.sandboxUrl}/_sandbox/records?since=${since}`);
    return (await res.json()) as SandboxRecord[];
  }

  async setFaults(system: string, faults: Record<string, number | string>): Promise<void> {
    const res = await fetch(`${this.sandboxUrl}/_sandbox/faults/${system}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    if (!res.ok) throw new Error(`setting faults on ${system}: ${res.status} ${await res.text()}`);
  }
}

/** What the sandbox recorded for one request. */
export type SandboxRecord = RecordedRequest;

/** fetch with the body read as text and parsed as JSON when it is JSON. */
export async function request(url: string, init: RequestInit): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}
