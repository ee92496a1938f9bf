import type { Server } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { WebhookMetrics } from '../observability/metrics.js';

/** The refusals of a burst share one log line per this many ms; the metric counts every one. */
export const refusalLogIntervalMs = 10_000;

/**
 * Caps the connections the server holds open (0: no cap). Past the cap Node closes a new connection
 * as it is accepted, before its TLS handshake costs anything: a client that opens connections without
 * bound (a load generator, a client that dials one per request it cannot send at once) would otherwise
 * hold ~50 KiB of the server's memory each (3,000 req/s of vegeta past one core's capacity took it to
 * 733–897 MiB, past deploy/'s 768 MiB limit), and each accepted one would be a handshake on a core
 * already full.
 */
export function capConnections(server: Server, maxConnections: number, logger: Logger, metrics: WebhookMetrics, now: () => number = Date.now): void {
  if (maxConnections === 0) return;
  server.maxConnections = maxConnections;
  let unlogged = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    metrics.connectionsRefused.inc();
    unlogged++;
    const at = now();
    if (at - loggedAt < refusalLogIntervalMs) return;
    logger.warn(
      { maxConnections, refused: unlogged },
      `refused ${unlogged} connection(s): the server already holds maxConnections (${maxConnections}) open; the client sees its connection reset`,
    );
    unlogged = 0;
    loggedAt = at;
  });
}
