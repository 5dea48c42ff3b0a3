/**
 * Request ids: every log line written while a request is handled carries `reqId`, including lines
 * from code that only holds the root logger (the logger's mixin reads the AsyncLocalStorage).
 * An incoming `X-Request-Id` is kept when it looks like an id, so one id follows a request across
 * proxies; otherwise a new one is made. The id is returned in the response header.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Request, Response, NextFunction, RequestHandler } from 'express';

interface RequestContext {
  reqId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Header used to pass the request id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';

// Ids from outside are echoed into logs and headers: accept only short, plain tokens.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.reqId;
}

/** Fields pino mixes into every line (see logger.ts). */
export function requestLogFields(): { reqId?: string } {
  const reqId = currentRequestId();
  return reqId ? { reqId } : {};
}

/** Express middleware: assigns the request id and runs the rest of the request inside its context. */
export function requestIdMiddleware(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    const reqId = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', reqId);
    storage.run({ reqId }, () => next());
  };
}
