/**
 * The front of every route Slack calls (interactions, events): the raw body, and Slack's signature
 * over it checked before anything is parsed. A request that fails gets 401 and a log line with the
 * reason only; nothing of its body is read.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger';
import { verifySlackSignature } from './signing';

/** The raw body of a verified request (the handlers after `slackSigned()` read it from here). */
export function rawBodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** `express.raw` plus the signature check; `what` names the route in the refusal's log line. */
export function slackSigned(signingSecret: string, logger: Logger, what: string): RequestHandler[] {
  const check = (req: Request, res: Response, next: NextFunction) => {
    const result = verifySlackSignature({
      signingSecret,
      rawBody: rawBodyOf(req),
      signature: req.get('x-slack-signature'),
      timestamp: req.get('x-slack-request-timestamp'),
    });
    if (!result.ok) {
      logger.warn({ reason: result.reason }, `slack ${what} refused: signature`);
      res.status(401).json({ error: 'invalid_signature', message: 'Slack signature missing, stale or wrong.' });
      return;
    }
    next();
  };
  return [express.raw({ type: () => true, limit: '1mb' }), check];
}
