import type { IncomingMessage, RequestListener } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { answerFailure, closeOnAnswerWhenDraining, contentTypeProblem, startReview, type AppContext, type ReviewAnswerer } from './handlers.js';

/** What raw-body reports when the client goes before its body is complete: errors.ts maps it as it maps raw-body's. */
function abortedError(): Error {
  return Object.assign(new Error('request aborted'), { status: 400, type: 'request.aborted' });
}

/**
 * The admission POSTs as the API server sends them, answered without express: the exact review path,
 * UTF-8 JSON, a Content-Length within the body limit, no Content-Encoding, and the client certificate
 * (when one is required) verified. Express's router, body parser and middleware chain took a third of
 * the main thread's CPU time per review (trivial policy, at the maximum); here the body is read and
 * answered by the same functions its routes use. Every other request — another method or path, a Content-Type, encoding or size to refuse
 * or decode, a body without Content-Length, a certificate missing — goes to express before any of it
 * is read, and express answers it as it always has.
 */
export function reviewFastPath(ctx: AppContext, answerers: ReadonlyMap<string, ReviewAnswerer>, app: RequestListener): RequestListener {
  const { bodyLimit } = ctx.config;
  return (req, res) => {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const answer = req.method === 'POST' ? answerers.get(path) : undefined;
    const { headers } = req;
    const length = Number(headers['content-length'] ?? Number.NaN);
    const taken =
      answer !== undefined &&
      length <= bodyLimit &&
      headers['transfer-encoding'] === undefined &&
      (headers['content-encoding'] === undefined || headers['content-encoding'].toLowerCase() === 'identity') &&
      (!ctx.clientCertificates || (req.socket as TLSSocket).authorized) &&
      contentTypeProblem(headers['content-type']) === undefined;
    if (!taken) return app(req, res);
    // As express's first middleware does: an answer sent while draining closes its connection.
    closeOnAnswerWhenDraining(ctx, res);
    startReview(ctx, url, res);
    readBody(req, (err, body) => {
      if (err) return answerFailure(ctx, err, req, res, path);
      answer(body, res).catch((thrown: unknown) => answerFailure(ctx, thrown, req, res, path));
    });
  };
}

/** The whole body as one Buffer, as raw-body gives it (Buffer.concat: a body of 4 KiB or more owns its ArrayBuffer). */
function readBody(req: IncomingMessage, done: (err: Error | undefined, body?: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const settle = (err: Error | undefined, body?: Buffer) => {
    if (settled) return;
    settled = true;
    done(err, body);
  };
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => settle(undefined, Buffer.concat(chunks)));
  req.once('aborted', () => settle(abortedError()));
  req.once('error', (err) => settle(err));
}
