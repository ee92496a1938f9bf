import express, { type Express } from 'express';
import {
  closeWhenDraining,
  errorHandler,
  healthz,
  metricsHandler,
  methodNotAllowed,
  notFound,
  readyz,
  reviewHandler,
  reviewRoute,
  type AppContext,
  type ReviewAnswerer,
} from './handlers.js';

export type { AppContext } from './handlers.js';

/**
 * The webhook's routes. It never listens: `listen.ts` puts it behind TLS, tests may drive it as it is.
 *
 * POST {path}         AdmissionReview in, AdmissionReview out (body read raw, up to config.bodyLimit)
 * POST {mutatePath}   the same, answered with the policy's JSONPatch (the mutating webhook)
 * GET /healthz  the process is alive
 * GET /readyz   a self-checked policy is loaded and the server is not draining
 * GET /metrics  Prometheus text
 */
export function createApp(ctx: AppContext, answerers: ReadonlyMap<string, ReviewAnswerer>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  app.use(closeWhenDraining(ctx));

  for (const [path, answer] of answerers) {
    app.post(path, ...reviewRoute(ctx), reviewHandler(answer));
    app.all(path, methodNotAllowed(['POST']));
  }
  for (const [route, handler] of [
    ['/healthz', healthz],
    ['/readyz', readyz(ctx)],
    ['/metrics', metricsHandler(ctx)],
  ] as const) {
    app.get(route, handler);
    app.all(route, methodNotAllowed(['GET', 'HEAD']));
  }
  app.use(notFound);
  app.use(errorHandler(ctx));
  return app;
}
