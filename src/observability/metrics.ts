import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { kindInfo } from '../manifests/kinds.js';

/** Decision labels: what the webhook answered, and whether an evaluation error decided it. */
export type DecisionLabel = 'allowed' | 'denied' | 'failed_closed' | 'failed_open';

/** Why an evaluation failed, as a bounded label (one per engine error code that can reach a request). */
export type EvaluationErrorReason = 'timeout' | 'memory_limit' | 'failed' | 'unavailable' | 'shed';

export type ReloadTarget = 'policy' | 'certificate';

/** Latency buckets in seconds: 0.5 ms to 10 s. */
export const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * How often the event-loop delay metrics sample. prom-client's default, 10 ms, woke an idle server 100
 * times a second (~10 ms of CPU a second here, most of what it spent waiting; test/server/idle.test.ts
 * counts the wake-ups). Every 100 ms, a stall of the loop still shows in the sample whose turn it delays.
 */
export const eventLoopSampleMs = 100;

/** The label of every value outside a label's bounded set. */
export const otherLabel = 'other';

/** Distinct policy ids the policy label takes before the rest become "other". */
export const policyLabelLimit = 200;

/** The kind label: a built-in or Calico kind (of its group), else "other", so made-up kinds add no series. */
export function kindLabel(group: unknown, kind: unknown): string {
  return typeof group === 'string' && typeof kind === 'string' && kindInfo(group, kind).known ? kind : otherLabel;
}

/**
 * The webhook's Prometheus metrics, in a registry of their own (never the global one), so each server
 * built in one process, as tests do, counts alone.
 */
export class WebhookMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'wasmgate_admission_requests_total',
    help: 'AdmissionReview requests answered, by operation, kind and decision',
    labelNames: ['operation', 'kind', 'decision'] as const,
    registers: [this.registry],
  });

  readonly violations = new Counter({
    name: 'wasmgate_admission_violations_total',
    help: 'Policy violations found in AdmissionReview requests, by operation, kind, policy and enforcement action',
    labelNames: ['operation', 'kind', 'policy', 'action'] as const,
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'wasmgate_admission_duration_seconds',
    help: 'Time from an AdmissionReview request\'s arrival (headers read) to its answer, by operation and decision',
    labelNames: ['operation', 'decision'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });

  readonly mutations = new Counter({
    name: 'wasmgate_mutation_requests_total',
    help: 'AdmissionReview requests answered by the mutating endpoint, by operation and result (patched, unchanged, failed_closed, failed_open)',
    labelNames: ['operation', 'result'] as const,
    registers: [this.registry],
  });

  readonly mutationDuration = new Histogram({
    name: 'wasmgate_mutation_duration_seconds',
    help: 'Time from a mutating AdmissionReview request\'s arrival (headers read) to its answer, by operation and result',
    labelNames: ['operation', 'result'] as const,
    buckets: latencyBuckets,
    registers: [this.registry],
  });

  readonly evaluationErrors = new Counter({
    name: 'wasmgate_evaluation_errors_total',
    help: 'Policy evaluations that failed, by reason (timeout: past the evaluation deadline)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly shed = new Counter({
    name: 'wasmgate_admission_shed_total',
    help: 'Reviews answered without evaluation (by the failure policy) because no policy worker was free before their time budget ran out',
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: 'wasmgate_connections_refused_total',
    help: 'Connections closed as they were accepted because the server already held maxConnections open',
    registers: [this.registry],
  });

  readonly badRequests = new Counter({
    name: 'wasmgate_bad_requests_total',
    help: 'Requests refused before evaluation, by HTTP status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'wasmgate_admission_requests_in_flight',
    help: 'AdmissionReview requests received and not yet answered',
    registers: [this.registry],
  });

  readonly policyInfo = new Gauge({
    name: 'wasmgate_policy_info',
    help: 'The policy revision being served (value 1), by revision and source',
    labelNames: ['revision', 'source'] as const,
    registers: [this.registry],
  });

  readonly policyLoadedAt = new Gauge({
    name: 'wasmgate_policy_loaded_timestamp_seconds',
    help: 'When the policy being served was loaded',
    registers: [this.registry],
  });

  readonly reloads = new Counter({
    name: 'wasmgate_reloads_total',
    help: 'Reloads of the policy or the certificate, by target and result',
    labelNames: ['target', 'result'] as const,
    registers: [this.registry],
  });

  readonly reloadFailing = new Gauge({
    name: 'wasmgate_reload_failing',
    help: '1 while the last reload of the target failed (the previous version keeps serving)',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });

  readonly certificateExpiry = new Gauge({
    name: 'wasmgate_certificate_expiry_timestamp_seconds',
    help: 'When the serving certificate expires',
    registers: [this.registry],
  });

  private readonly policyLabels = new Set<string>();

  /**
   * The policy label: the policy id as the policy wrote it (ids are the policy's, not the request's), at
   * most 64 characters of [A-Za-z0-9._-], and at most `policyLabelLimit` distinct ones; else "other".
   */
  policyLabel(id: string): string {
    if (this.policyLabels.has(id)) return id;
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id) || this.policyLabels.size >= policyLabelLimit) return otherLabel;
    this.policyLabels.add(id);
    return id;
  }

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: eventLoopSampleMs });
    for (const target of ['policy', 'certificate'] as const) this.reloadFailing.set({ target }, 0);
  }

  /** Records the policy now served, replacing the previous revision's series. */
  policyServed(revision: string, source: string): void {
    this.policyInfo.reset();
    this.policyInfo.set({ revision, source }, 1);
    this.policyLoadedAt.set(Date.now() / 1000);
  }

  reloaded(target: ReloadTarget, ok: boolean): void {
    this.reloads.inc({ target, result: ok ? 'success' : 'failure' });
    this.reloadFailing.set({ target }, ok ? 0 : 1);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
