/** A stand-in OTLP/HTTP collector on a free loopback port: keeps every export it is sent. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCollector {
  /** The base URL to set as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  received: { path: string; body: string }[];
  close(): void;
}

export async function startCollector(): Promise<FakeCollector> {
  const received: FakeCollector['received'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => server.close(),
  };
}
