import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { AdmissionRequest } from '../admission/types.js';
import type { ServeConfig } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { maskObject } from '../observability/mask.js';
import type { WebhookMetrics } from '../observability/metrics.js';
import { HttpError, mapError } from './errors.js';
import { mutateBody, type MutationResult } from './mutation.js';
import type { PolicyHolder } from './policy.js';
import { objectName, reviewBody, type ReviewResult } from './review.js';

/** What the handlers share: settings, the policy being served, metrics, the log, and shutdown state. */
export interface AppContext {
  readonly config: Pick<ServeConfig, 'path' | 'mutatePath' | 'bodyLimit' | 'failOpen' | 'evalTimeout' | 'log'>;
  readonly policy: PolicyHolder;
  readonly metrics: WebhookMetrics;
  readonly logger: Logger;
  readonly state: { draining: boolean };
}

const started = Symbol('started');
type Timed = Response & { [started]?: bigint };

function elapsedSeconds(res: Response): number {
  const t0 = (res as Timed)[started];
  return t0 === undefined ? 0 : Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Counts an admission request in flight from its first byte to its answer, and times it. */
export function trackInFlight(ctx: AppContext): RequestHandler {
  return (_req, res, next) => {
    (res as Timed)[started] = process.hrtime.bigint();
    ctx.metrics.inFlight.inc();
    res.once('close', () => ctx.metrics.inFlight.dec());
    next();
  };
}

/**
 * While draining, every answer closes its connection, so keep-alive clients move to another replica and
 * the server can finish. Decided when the headers go out, not when the request came in: a request that
 * arrived before the drain began and is answered during it closes its connection too.
 */
export function closeWhenDraining(ctx: AppContext): RequestHandler {
  return (_req, res, next) => {
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: unknown[]) {
      if (ctx.state.draining && !this.headersSent) this.setHeader('Connection', 'close');
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as typeof res.writeHead;
    next();
  };
}

/** Refuses a body that is not JSON (415) before any of it is read. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const type = req.headers['content-type'];
  if (!type) return next(new HttpError(415, 'the request has no Content-Type: send the AdmissionReview as application/json'));
  const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/json') {
    return next(new HttpError(415, `Content-Type ${JSON.stringify(type)} is not supported: send the AdmissionReview as application/json`));
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return next(new HttpError(415, `charset ${charset} is not supported: send the AdmissionReview as UTF-8 JSON`));
  }
  next();
};

export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return (req, _res, next) =>
    next(new HttpError(405, `${req.method} is not allowed on ${req.path}: use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') }));
}

export const notFound: RequestHandler = (req, _res, next) => next(new HttpError(404, `nothing is served at ${req.path}`));

/** What every admission log line says of its request. */
function requestFields(request: AdmissionRequest): Record<string, unknown> {
  return {
    uid: request.uid,
    kind: request.kind.kind,
    group: request.kind.group,
    ...(request.subResource ? { subResource: request.subResource } : {}),
    namespace: request.namespace ?? '',
    name: objectName(request) ?? '',
    operation: request.operation,
    user: request.userInfo?.username ?? '',
    dryRun: request.dryRun === true,
  };
}

/** With log.objects, the (masked) objects of the request join its log line. */
function addObjects(ctx: AppContext, line: Record<string, unknown>, request: AdmissionRequest): void {
  if (!ctx.config.log.objects) return;
  if (request.object) line.object = maskObject(request.object, request.kind.kind);
  if (request.oldObject) line.oldObject = maskObject(request.oldObject, request.kind.kind);
}

function logDecision(ctx: AppContext, result: ReviewResult, durationSeconds: number): void {
  const { request } = result;
  const ids = (action: string) => [...new Set(result.violations.filter((v) => v.action === action).map((v) => v.policy))];
  const line: Record<string, unknown> = {
    ...requestFields(request),
    decision: result.decision,
    denied: ids('deny'),
    warned: ids('warn'),
    dryrunViolations: ids('dryrun'),
    durationMs: Math.round(durationSeconds * 1e6) / 1e3,
    revision: result.revision,
  };
  if (result.failure) line.failure = result.failure;
  addObjects(ctx, line, request);
  if (result.failure) ctx.logger.error(line, `admission ${result.decision}: the policy could not be evaluated`);
  else ctx.logger.info(line, `admission ${result.decision}`);
}

function recordMetrics(ctx: AppContext, result: ReviewResult, durationSeconds: number): void {
  const operation = result.request.operation;
  const kind = result.request.kind.kind;
  const { metrics } = ctx;
  metrics.requests.inc({ operation, kind, decision: result.decision });
  metrics.duration.observe({ operation, decision: result.decision }, durationSeconds);
  for (const v of result.violations) metrics.violations.inc({ operation, kind, policy: v.policy, action: v.action });
  if (result.failure) metrics.evaluationErrors.inc({ reason: result.failure.reason });
}

/** POST of an AdmissionReview: decide it, answer it, then log and count it. */
export function admissionHandler(ctx: AppContext): RequestHandler {
  return async (req, res) => {
    const result = await reviewBody(req.body, ctx.policy, { failOpen: ctx.config.failOpen, timeoutMs: ctx.config.evalTimeout });
    res.json(result.response);
    const seconds = elapsedSeconds(res);
    logDecision(ctx, result, seconds);
    recordMetrics(ctx, result, seconds);
  };
}

/** The mutation's log line: the request, the PSP chosen and the paths patched (values stay out of the log). */
function logMutation(ctx: AppContext, result: MutationResult, durationSeconds: number): void {
  const line: Record<string, unknown> = {
    ...requestFields(result.request),
    mutation: result.result,
    profile: result.profile,
    patched: result.patch.map((op) => `${op.op} ${op.path}`),
    durationMs: Math.round(durationSeconds * 1e6) / 1e3,
    revision: result.revision,
  };
  if (result.failure) line.failure = result.failure;
  addObjects(ctx, line, result.request);
  if (result.failure) ctx.logger.error(line, `mutation ${result.result}: the policy could not be evaluated`);
  else ctx.logger.info(line, `mutation ${result.result}`);
}

function recordMutationMetrics(ctx: AppContext, result: MutationResult, durationSeconds: number): void {
  const labels = { operation: result.request.operation, result: result.result };
  ctx.metrics.mutations.inc(labels);
  ctx.metrics.mutationDuration.observe(labels, durationSeconds);
  if (result.failure) ctx.metrics.evaluationErrors.inc({ reason: result.failure.reason });
}

/** POST of an AdmissionReview to the mutating endpoint: default it, answer it, then log and count it. */
export function mutationHandler(ctx: AppContext): RequestHandler {
  return async (req, res) => {
    const result = await mutateBody(req.body, ctx.policy, { failOpen: ctx.config.failOpen, timeoutMs: ctx.config.evalTimeout });
    res.json(result.response);
    const seconds = elapsedSeconds(res);
    logMutation(ctx, result, seconds);
    recordMutationMetrics(ctx, result, seconds);
  };
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

/** Every error becomes its JSON answer here; bad requests are logged and counted, nothing else leaks. */
export function errorHandler(ctx: AppContext): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const mapped = mapError(err);
    const fields = { status: mapped.status, method: req.method, path: req.path, remote: req.socket.remoteAddress };
    if (mapped.internal) ctx.logger.error({ ...fields, err }, 'request failed');
    else ctx.logger.warn({ ...fields, reason: mapped.body.message }, 'bad request');
    ctx.metrics.badRequests.inc({ status: String(mapped.status) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(mapped.status).set(mapped.headers).json(mapped.body);
  };
}
