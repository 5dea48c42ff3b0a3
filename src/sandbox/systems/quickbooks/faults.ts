/**
 * How QuickBooks answers errors: the `Fault` envelope (validation, system), the gateway's own
 * lower-case body for 401/403, and throttling in XML whatever the Accept header.
 */
import { uuid } from '../../support';
import { time } from './seed';
import type { Response } from 'express';

/** QuickBooks' answer to an injected 5xx: a SystemFault in the usual envelope. */
export const systemFault = () => ({
  Fault: {
    Error: [
      {
        Message: 'An application error has occurred while processing your request',
        Detail: 'System Failure Error: service unavailable',
        code: '10000',
      },
    ],
    type: 'SystemFault',
  },
  time: time(),
});

export function fault(res: Response, status: number, type: string, code: string, message: string, detail = message, element?: string) {
  res
    .status(status)
    .set('intuit_tid', uuid())
    .json({ Fault: { Error: [{ Message: message, Detail: detail, code, ...(element ? { element } : {}) }], type }, time: time() });
}

/**
 * Authentication and authorization failures do not use the `Fault` envelope: QuickBooks answers
 * them with a lower-case `fault.error[]` body (reported verbatim by client libraries; see
 * docs/connectors.md), e.g. `{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"…","code":"3200"}],"type":"AUTHENTICATION"}}`.
 */
export function gatewayFault(res: Response, status: 401 | 403, name: string, code: string, type: string, detail: string | null) {
  res.status(status).json({
    warnings: null,
    intuitObject: null,
    fault: {
      error: [{ message: `message=${name}; errorCode=${code.padStart(6, '0')}; statusCode=${status}`, detail, code, element: null }],
      type,
    },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: Date.now(),
    status: null,
    cdcresponse: [],
  });
}

/** Throttling answers in XML whatever the Accept header (code 3001, Fault type SERVICE), as reported. */
export function throttleXml(res: Response) {
  res
    .status(429)
    .type('application/xml')
    .send(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse time="${time()}" xmlns="http://schema.intuit.com/finance/v3">\n    <Fault type="SERVICE">\n        <Error code="3001">\n            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n            <Detail>The request limit was reached.  Try again later</Detail>\n        </Error>\n    </Fault>\n</IntuitResponse>`,
    );
}

/** The body of an injected fault (the sandbox core adds the status): 429 as QuickBooks' throttle fault, else a SystemFault. */
export function qboFaultBody(status: number): unknown {
  return status === 429
    ? {
        Fault: {
          Error: [
            {
              Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
              Detail: 'The request limit was reached.  Try again later',
              code: '3001',
            },
          ],
          type: 'SERVICE',
        },
        time: time(),
      }
    : systemFault();
}
