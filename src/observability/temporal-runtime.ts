/**
 * The Temporal SDK runtime (one per process): its logs go to our pino logger so the whole service
 * logs one way, and its metrics (worker, workflow and activity metrics, plus the case counters of
 * src/workflows/case-metrics.ts) are exported by the SDK core's own Prometheus endpoint, which the
 * API's `/metrics` appends to its output in the embedded default.
 */
import net from 'node:net';
import { Runtime, makeTelemetryFilterString, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../logger';

const PINO_METHOD = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** Adapts pino to the SDK's Logger interface; SDK metadata (workflow id, task queue...) becomes fields. */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.logger[PINO_METHOD[level]]({ ...meta }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

export interface RuntimeTelemetryOptions {
  logger: Logger;
  /** The service's LOG_LEVEL; the SDK core stays at WARN unless debugging. */
  level: string;
  /** host:port for the core's Prometheus exporter; undefined = no runtime metrics. */
  metricsBindAddress?: string;
}

/**
 * Installs the process-wide runtime. Must run before the first NativeConnection/Worker is created;
 * the SDK allows it once per process.
 */
export function installTemporalRuntime(opts: RuntimeTelemetryOptions): Runtime {
  const verbose = opts.level === 'debug' || opts.level === 'trace';
  return Runtime.install({
    logger: new PinoTemporalLogger(opts.logger.child({ component: 'temporal' })),
    telemetryOptions: {
      // forward: core (Rust) log lines go through the logger above instead of straight to stderr.
      logging: { filter: makeTelemetryFilterString({ core: verbose ? 'INFO' : 'WARN', other: 'ERROR' }), forward: {} },
      ...(opts.metricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } : {}),
    },
  });
}

/**
 * The core binds the metrics port lazily (at the first connection) and then fails with a bare
 * "Address already in use". Checking first lets start-up name the variable to change.
 */
export async function assertMetricsAddressFree(bindAddress: string): Promise<void> {
  const i = bindAddress.lastIndexOf(':');
  const host = bindAddress.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(bindAddress.slice(i + 1));
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
  if (!free)
    throw new Error(
      `TEMPORAL_METRICS_BIND_ADDRESS ${bindAddress} is already in use (another instance?). Choose another host:port, or set it to off.`,
    );
}
