import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AdmissionRequest } from '../admission/types.js';
import type { ServeConfig } from '../config/index.js';
import { TurnBatch } from '../engine/turn-batch.js';
import { describeThrown } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { describeValue, logValue, shortText } from '../observability/echo.js';
import { maskObject } from '../observability/mask.js';
import { kindLabel, type WebhookMetrics } from '../observability/metrics.js';
import { reviewSteps, type ReviewSteps } from '../observability/steps.js';
import { reviewBudget, type Budget } from './budget.js';
import { HttpError, mapError } from './errors.js';
import { mutateBody, type MutationResult } from './mutation.js';
import type { PolicyHolder } from './policy.js';
import { objectName, reviewBody, type ReviewResult, type ReviewSettings } from './review.js';

/** What the handlers share: settings, the policy being served, metrics, the log, and shutdown state. */
export interface AppContext {
  readonly config: Pick<ServeConfig, 'path' | 'mutatePath' | 'bodyLimit' | 'failOpen' | 'evalTimeout' | 'reviewTimeout' | 'log'>;
  readonly policy: PolicyHolder;
  readonly metrics: WebhookMetrics;
  readonly logger: Logger;
  readonly state: { draining: boolean };
  /** Whether review routes require a client certificate signed by the configured client CA. */
  readonly clientCertificates?: boolean;
}

const started = Symbol('started');
const budgeted = Symbol('budget');
type Timed = ServerResponse & { [started]?: number; [budgeted]?: Budget };

function elapsedSeconds(res: ServerResponse): number {
  const t0 = (res as Timed)[started];
  return t0 === undefined ? 0 : (performance.now() - t0) / 1000;
}

/** The time budget of the review this response answers (set by `startReview`). */
export function budgetOf(res: ServerResponse): Budget | undefined {
  return (res as Timed)[budgeted];
}

/**
 * Counts a review in flight from its arrival (headers read) to its answer, times it, and sets its
 * budget: the API server's `?timeout=` on `url`, capped by reviewTimeout.
 */
export function startReview(ctx: AppContext, url: string, res: ServerResponse): void {
  const now = performance.now();
  (res as Timed)[started] = now;
  (res as Timed)[budgeted] = reviewBudget(url, now, ctx.config.reviewTimeout);
  ctx.metrics.inFlight.inc();
  res.once('close', () => ctx.metrics.inFlight.dec());
}

export function trackReview(ctx: AppContext): RequestHandler {
  return (req, res, next) => {
    startReview(ctx, req.originalUrl, res);
    next();
  };
}

/**
 * What every AdmissionReview route runs before its handler: timing and budget, the Content-Type
 * check, and the body read raw (not express.json(): the policy gets the bytes as they came, and the
 * size limit is ours). A route is `app.post(path, ...reviewRoute(ctx), handler)`.
 */
export function reviewRoute(ctx: AppContext): (RequestHandler | ErrorRequestHandler)[] {
  return [
    trackReview(ctx),
    ...(ctx.clientCertificates ? [requireClientCertificate] : []),
    requireJson,
    express.raw({ type: () => true, limit: ctx.config.bodyLimit }),
    corruptEncoding,
  ];
}

/** A Content-Encoding the body does not decode as (corrupt or truncated gzip, deflate, br) is the client's error. */
const corruptEncoding: ErrorRequestHandler = (err: unknown, req, _res, next) => {
  const encoding = req.headers['content-encoding']?.toLowerCase();
  const code = (err as { code?: unknown } | null)?.code;
  // zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR) and brotli's (ERR__ERROR_FORMAT_…); body-parser's own errors have a `type`.
  const fromDecoder = typeof code === 'string' && /^(Z_|ERR__)/.test(code) && (err as { type?: unknown }).type === undefined;
  if (encoding === undefined || encoding === 'identity' || !fromDecoder) return next(err);
  next(new HttpError(400, `the body is not valid ${encoding} data (Content-Encoding: ${encoding}): ${(err as Error).message}`));
};

/**
 * With a client CA configured, a review needs a client certificate it signed (401 otherwise). The TLS
 * layer asks for one but lets the handshake finish without, so that probes need none.
 */
export const requireClientCertificate: RequestHandler = (req, _res, next) => {
  const socket = req.socket as TLSSocket;
  if (socket.authorized) return next();
  const presented = Object.keys(socket.getPeerCertificate?.() ?? {}).length > 0;
  next(
    new HttpError(
      401,
      presented
        ? `the client certificate is not signed by the configured client CA (${String(socket.authorizationError)}): reviews need one that is`
        : 'no client certificate was presented: reviews need one signed by the configured client CA',
    ),
  );
};

/**
 * While draining, every answer closes its connection, so keep-alive clients move to another replica and
 * the server can finish. Decided when the headers go out, not when the request came in: a request that
 * arrived before the drain began and is answered during it closes its connection too.
 */
export function closeWhenDraining(ctx: AppContext): RequestHandler {
  return (_req, res, next) => {
    closeOnAnswerWhenDraining(ctx, res);
    next();
  };
}

/** `closeWhenDraining` for one response. */
export function closeOnAnswerWhenDraining(ctx: AppContext, res: ServerResponse): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (ctx.state.draining && !this.headersSent) this.setHeader('Connection', 'close');
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
}

/** Why a review with this Content-Type is refused (415), or undefined for UTF-8 JSON. */
export function contentTypeProblem(type: string | undefined): HttpError | undefined {
  if (!type) return new HttpError(415, 'the request has no Content-Type: send the AdmissionReview as application/json');
  const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/json') {
    return new HttpError(415, `Content-Type ${describeValue(type)} is not supported: send the AdmissionReview as application/json`);
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new HttpError(415, `charset ${shortText(charset)} is not supported: send the AdmissionReview as UTF-8 JSON`);
  }
  return undefined;
}

/** Refuses a body that is not JSON (415) before any of it is read. */
export const requireJson: RequestHandler = (req, _res, next) => next(contentTypeProblem(req.headers['content-type']));

export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (req, _res, next) =>
    next(new HttpError(405, `${req.method} is not allowed on ${shortText(req.path)}: use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') }));
}

export const notFound: RequestHandler = (req, _res, next) => next(new HttpError(404, `nothing is served at ${shortText(req.path)}`));

/**
 * An admission log line: what every such line says of its request (strings cut to a bound, anything else
 * logged as its type only: they are the client's), then `rest`. One literal with `rest` spread last: a
 * line made by spreading these fields first and adding the rest after had cost ~6 µs to build, and
 * several times that at the webhook's maximum (GC), where this costs ~0.1 µs. An undefined field
 * (subResource, mostly) is left out of the line.
 */
function requestLine(request: AdmissionRequest, rest: Record<string, unknown>): Record<string, unknown> {
  return {
    uid: logValue(request.uid),
    kind: logValue(request.kind.kind),
    group: logValue(request.kind.group),
    subResource: request.subResource ? logValue(request.subResource) : undefined,
    namespace: logValue(request.namespace) ?? '',
    name: logValue(objectName(request)) ?? '',
    operation: request.operation,
    user: logValue(request.userInfo?.username) ?? '',
    dryRun: request.dryRun === true,
    ...rest,
  };
}

/** With log.objects, the (masked) objects of the request join its log line. */
function addObjects(ctx: AppContext, line: Record<string, unknown>, request: AdmissionRequest): void {
  if (!ctx.config.log.objects) return;
  if (request.object) line.object = maskObject(request.object, request.kind.kind);
  if (request.oldObject) line.oldObject = maskObject(request.oldObject, request.kind.kind);
}

function logDecision(ctx: AppContext, result: ReviewResult, durationSeconds: number): void {
  // A line that the level drops is not built (with log.objects, masking the objects is most of its cost).
  if (!ctx.logger.isLevelEnabled(result.failure ? 'error' : 'info')) return;
  const { request } = result;
  const ids = (action: string) => [...new Set(result.violations.filter((v) => v.action === action).map((v) => v.policy))];
  const line = requestLine(request, {
    decision: result.decision,
    denied: ids('deny'),
    warned: ids('warn'),
    dryrunViolations: ids('dryrun'),
    durationMs: Math.round(durationSeconds * 1e6) / 1e3,
    revision: result.revision,
  });
  if (result.failure) line.failure = result.failure;
  addObjects(ctx, line, request);
  if (result.failure?.reason === 'shed') ctx.logger.error(line, `admission ${result.decision}: shed, no policy worker was free within the request's time budget`);
  else if (result.failure) ctx.logger.error(line, `admission ${result.decision}: the policy could not be evaluated`);
  else ctx.logger.info(line, `admission ${result.decision}`);
}

function recordMetrics(ctx: AppContext, result: ReviewResult, durationSeconds: number): void {
  const operation = result.request.operation;
  const { metrics } = ctx;
  // Labels take values from bounded sets only: a client inventing kinds must not grow /metrics.
  const kind = kindLabel(result.request.kind.group, result.request.kind.kind);
  metrics.requests.inc({ operation, kind, decision: result.decision });
  metrics.duration.observe({ operation, decision: result.decision }, durationSeconds);
  for (const v of result.violations) metrics.violations.inc({ operation, kind, policy: metrics.policyLabel(v.policy), action: v.action });
  countFailure(ctx, result.failure);
}

/** A failed evaluation counts as shed (no worker in time) or as an evaluation error, on either endpoint. */
function countFailure(ctx: AppContext, failure: ReviewResult['failure']): void {
  if (failure?.reason === 'shed') ctx.metrics.shed.inc();
  else if (failure) ctx.metrics.evaluationErrors.inc({ reason: failure.reason });
}

/**
 * Sends a JSON answer as one write: serialised once, headers and body together. express's `res.json`
 * costs ~0.1–0.2 ms more a review (content negotiation of the charset, a freshness check against the
 * request's headers, the body converted again), which the review routes do not need.
 */
export function writeJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Answers one AdmissionReview body (read whole, after `startReview`) within its budget, then logs and
 * counts what became of it. Rejects as the route's error handler expects (HttpError, INPUT_INVALID).
 * The log lines and metrics of the answers sent in one turn of the event loop are made together after
 * them, at the next check phase (turn-batch.ts), with the duration of each answer: made between one
 * answer and the next, they had cost ~12 % more CPU a review at W2's maximum on one core.
 */
export type ReviewAnswerer = (body: unknown, res: ServerResponse) => Promise<void>;

function answering<R extends { readonly response: unknown }>(
  ctx: AppContext,
  answer: (body: unknown, policy: PolicyHolder, settings: ReviewSettings) => Promise<R>,
  record: (ctx: AppContext, result: R, durationSeconds: number) => void,
): ReviewAnswerer {
  const records = new TurnBatch();
  return async (body, res) => {
    const bodyRead = performance.now();
    const result = await answer(body, ctx.policy, { failOpen: ctx.config.failOpen, timeoutMs: ctx.config.evalTimeout, budget: budgetOf(res), wholeObjects: ctx.config.log.objects });
    const evaluated = performance.now();
    writeJson(res, 200, result.response);
    const answered = performance.now();
    const seconds = elapsedSeconds(res);
    records
      .run(() => {
        const recording = performance.now();
        record(ctx, result, seconds);
        if (reviewSteps.hasSubscribers) {
          const steps: ReviewSteps = { arrived: (res as Timed)[started] ?? bodyRead, bodyRead, evaluated, answered, recording, recorded: performance.now() };
          reviewSteps.publish(steps);
        }
      })
      .catch((err: unknown) => ctx.logger.error({ reason: describeThrown(err) }, 'logging or counting an answered review failed'));
  };
}

/** A review route's last handler, for express: the body that `reviewRoute` read, answered. */
export function reviewHandler(answer: ReviewAnswerer): RequestHandler {
  return (req, res) => answer(req.body, res);
}

/** The validating endpoint: decide the review. */
export function admissionAnswerer(ctx: AppContext): ReviewAnswerer {
  return answering(ctx, reviewBody, (c, result, seconds) => {
    logDecision(c, result, seconds);
    recordMetrics(c, result, seconds);
  });
}

/** The mutation's log line: the request, the PSP chosen and the paths patched (values stay out of the log). */
function logMutation(ctx: AppContext, result: MutationResult, durationSeconds: number): void {
  if (!ctx.logger.isLevelEnabled(result.failure ? 'error' : 'info')) return;
  const line = requestLine(result.request, {
    mutation: result.result,
    profile: result.profile,
    patched: result.patch.map((op) => `${op.op} ${op.path}`),
    durationMs: Math.round(durationSeconds * 1e6) / 1e3,
    revision: result.revision,
  });
  if (result.failure) line.failure = result.failure;
  addObjects(ctx, line, result.request);
  if (result.failure) ctx.logger.error(line, `mutation ${result.result}: the policy could not be evaluated`);
  else ctx.logger.info(line, `mutation ${result.result}`);
}

function recordMutationMetrics(ctx: AppContext, result: MutationResult, durationSeconds: number): void {
  const labels = { operation: result.request.operation, result: result.result };
  ctx.metrics.mutations.inc(labels);
  ctx.metrics.mutationDuration.observe(labels, durationSeconds);
  countFailure(ctx, result.failure);
}

/** The mutating endpoint: default the review. */
export function mutationAnswerer(ctx: AppContext): ReviewAnswerer {
  return answering(ctx, mutateBody, (c, result, seconds) => {
    logMutation(c, result, seconds);
    recordMutationMetrics(c, result, seconds);
  });
}

export const healthz: RequestHandler = (_req, res) => {
  res.json({ status: 'ok' });
};

/** Ready while a self-checked policy is loaded and the server is not draining; says why not otherwise. */
export function readyz(ctx: AppContext): RequestHandler {
  return (_req, res) => {
    const { revision, source, loadedAt } = ctx.policy.current;
    const last = ctx.policy.lastReload;
    const ready = !ctx.state.draining;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'draining',
      policy: { revision, source, loadedAt: loadedAt.toISOString() },
      ...(last
        ? { lastReload: { ok: last.ok, trigger: last.trigger, at: last.at.toISOString(), revision: last.revision, ...(last.error ? { error: last.error } : {}) } }
        : {}),
    });
  };
}

export function metricsHandler(ctx: AppContext): RequestHandler {
  return async (_req, res) => {
    const text = await ctx.metrics.text();
    res.type(ctx.metrics.contentType).send(text);
  };
}

/**
 * Answers an error as JSON, logged and counted: bad requests as warnings, anything else (a 500 that
 * says nothing of it) as an error with the details; once headers are out, the connection is cut.
 * `path` is the request's, without its query. Express's error handler and the fast path both answer so.
 */
export function answerFailure(
  ctx: AppContext,
  err: unknown,
  req: { readonly method?: string; readonly socket: { readonly remoteAddress?: string } },
  res: ServerResponse,
  path: string,
): void {
  const mapped = mapError(err);
  const fields = { status: mapped.status, method: req.method, path: logValue(path), remote: req.socket.remoteAddress };
  if (mapped.internal) ctx.logger.error({ ...fields, err }, 'request failed');
  else ctx.logger.warn({ ...fields, reason: mapped.body.message }, 'bad request');
  ctx.metrics.badRequests.inc({ status: String(mapped.status) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeJson(res, mapped.status, mapped.body, mapped.headers);
}

/** Every error becomes its JSON answer here; bad requests are logged and counted, nothing else leaks. */
export function errorHandler(ctx: AppContext): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => answerFailure(ctx, err, req, res, req.path);
}
