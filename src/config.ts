/**
 * Configuration: the only module that reads `process.env`. Read once at the edge (main, worker,
 * API), validated with zod, and handed inwards as a typed object. A bad value stops start-up with
 * a message naming the variable and what is wrong with it.
 */
import path from 'node:path';
import { z } from 'zod';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';

/** Boolean variables: true/false, 1/0, yes/no. */
export const boolEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const positiveSeconds = z.coerce.number().positive();

/** Every environment variable the service reads, with its default. README's reference mirrors this. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Port of the HTTP API (webhooks, Slack interactions, health). */
  HTTP_PORT: port.default(3000),
  /** Where this service is reachable from outside (used in links). */
  PUBLIC_BASE_URL: z.url().optional(),

  /** Set to use an existing Temporal (self-hosted or Cloud); unset = embedded dev server. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('billing-cases'),
  /** Temporal Web UI base URL, for links in responses and Slack messages. */
  TEMPORAL_UI_URL: z.url().optional(),
  /** Embedded dev server settings (ignored when TEMPORAL_ADDRESS is set). */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  TEMPORAL_DEV_IP: z.string().default('127.0.0.1'),
  /** Folder for the dev server's SQLite file and other local state (git-ignored). */
  DATA_DIR: z.string().default('.data'),
  /** Workflow history retention, in days (the dev server's own default is 1). */
  TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),

  /** Seconds the worker waits for in-flight activities on shutdown. */
  WORKER_SHUTDOWN_GRACE_SECONDS: positiveSeconds.default(10),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  http: { port: number; publicBaseUrl: string };
  temporal: {
    /** undefined = start the embedded dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    connect: ClientConnectConfig;
    dev: { cliPath?: string; ip: string; port: number; uiPort: number; dbFile: string; retentionDays: number };
  };
  dataDir: string;
  /** PATH, for finding tools such as the Temporal CLI. */
  pathVar?: string;
  worker: { shutdownGraceSeconds: number };
}

export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parse and validate the environment. Throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const devAddress = `${e.TEMPORAL_DEV_IP}:${e.TEMPORAL_DEV_PORT}`;
  // @temporalio/envconfig understands the TEMPORAL_* conventions (address, namespace, API key, TLS
  // client certs, profiles in temporal.toml). We hand it our env explicitly so nothing else reads it.
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((kv): kv is [string, string] => kv[0].startsWith('TEMPORAL_') && typeof kv[1] === 'string'),
  );
  if (!e.TEMPORAL_ADDRESS) overrideEnvVars.TEMPORAL_ADDRESS = devAddress;
  const connect = loadClientConnectConfig({ overrideEnvVars, disableFile: !env.TEMPORAL_CONFIG_FILE });
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    http: { port: e.HTTP_PORT, publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.HTTP_PORT}` },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: connect.namespace ?? e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_DEV_UI_PORT}`,
      connect,
      dev: {
        cliPath: e.TEMPORAL_CLI_PATH,
        ip: e.TEMPORAL_DEV_IP,
        port: e.TEMPORAL_DEV_PORT,
        uiPort: e.TEMPORAL_DEV_UI_PORT,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        retentionDays: e.TEMPORAL_RETENTION_DAYS,
      },
    },
    dataDir,
    pathVar: env.PATH,
    worker: { shutdownGraceSeconds: e.WORKER_SHUTDOWN_GRACE_SECONDS },
  };
}
