import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { isWasmgateError } from '../errors.js';
import { GatekeeperDecider, mergeDecisions } from '../gatekeeper/decider.js';
import type { Decision } from './decision.js';
import { noMutation, type Mutation } from './mutation.js';
import { PolicyEvaluator, type PolicyInput } from './evaluator.js';
import { Occupancy, Spinner } from './spin.js';
import { BatchProgress, type Job, type WorkerInit, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

// A pool worker: one PolicyEvaluator (one WASM instance), and Gatekeeper's templates when given, that
// evaluates the jobs of each batch back to back, answering each as soon as it is done.
const init = workerData as WorkerInit;
const port = init.port;
const reply = (message: WorkerReply) => port.postMessage(message);
const progress = new BatchProgress(init.progress);
const occupancy = new Occupancy(init.occupancy, init.cores, init.occupancyCell);
const spinner = new Spinner(init.spinMicros);

const evaluator =
  init.bundle && new PolicyEvaluator({ ...init.bundle, data: init.data }, { limits: init.limits, print: (line) => reply({ kind: 'print', line }) });
const gatekeeper = init.gatekeeper && new GatekeeperDecider(init.gatekeeper, init.data, init.limits);

function decide(input: PolicyInput, fromBundle = evaluator?.decide(input)): Decision {
  const fromGatekeeper = gatekeeper?.decide(input);
  if (fromBundle && fromGatekeeper) return mergeDecisions(fromBundle, fromGatekeeper);
  return (fromBundle ?? fromGatekeeper)!;
}

/** The job's value with the review's envelope, the bundle's from one parse of the bytes (Gatekeeper's templates parse them again). */
function withEnvelope(job: Job): { envelope: unknown; value: Decision | Mutation } {
  let envelope: unknown;
  const check = (e: unknown) => ((envelope = e), true);
  // Engine.decideReview and mutateReview send bytes, to a pool with a bundle.
  const bytes = new Uint8Array(job.input as ArrayBuffer);
  const value = job.kind === 'decide' ? decide(job.input, evaluator!.decideReview(bytes, check)) : evaluator!.mutateReview(bytes, check)!;
  return { envelope, value };
}

/** Gatekeeper's templates only validate: the bundle's mutation is the whole of it. */
function mutate(input: PolicyInput): Mutation {
  return evaluator ? evaluator.mutate(input) : noMutation;
}

function setData(data: unknown): void {
  evaluator?.setData(data);
  gatekeeper?.setData(data);
}

/** Evaluates one job; false when the batch must stop (the worker is about to be replaced). */
function run(batch: number, index: number, job: Job, spun: boolean): boolean {
  const started = performance.now();
  const startedAt = performance.timeOrigin + started;
  if (job.deadline !== undefined && startedAt >= job.deadline) {
    // Its budget ran out behind the jobs before it: shed, unless the pool already did.
    if (progress.take(batch, index, BatchProgress.withdrawn)) reply({ batch, index, ok: false, code: 'OVERLOADED', message: '' });
    return true;
  }
  if (!progress.claim(batch, index, startedAt)) return true;
  occupancy.startEvaluating();
  try {
    const value = job.envelope ? withEnvelope(job) : job.kind === 'decide' ? decide(job.input) : mutate(job.input);
    const evaluationMs = performance.now() - started;
    progress.finish(batch, index);
    reply({ batch, index, ok: true, value, memoryBytes: (evaluator?.memoryBytes ?? 0) + (gatekeeper?.memoryBytes ?? 0), startedAt, evaluationMs, spun });
    return true;
  } catch (err) {
    progress.finish(batch, index);
    const code = isWasmgateError(err) ? err.code : 'EVAL_FAILED';
    reply({ batch, index, ok: false, code, message: err instanceof Error ? err.message : String(err) });
    // A memory ceiling hit leaves a large memory behind: the pool replaces this worker and hands the rest on.
    return code !== 'MEMORY_LIMIT';
  } finally {
    occupancy.stopEvaluating();
  }
}

/** Handles one request (taken while spinning, or woken by it); false when the worker is about to be replaced. */
function serve(request: WorkerRequest, spun: boolean): boolean {
  if (request.kind === 'setData') {
    setData(request.data);
    return true;
  }
  if (request.kind !== 'batch') return run(request.batch, 0, request, spun);
  for (const [index, job] of request.jobs.entries()) if (!run(request.batch, index, job, spun)) return false;
  return true;
}

/** The next request, if one comes while this worker spins on a free core. */
function nextSoon(): WorkerRequest | undefined {
  if (!occupancy.startSpinning()) return undefined;
  try {
    return spinner.spin(() => receiveMessageOnPort(port)?.message as WorkerRequest | undefined, () => occupancy.uncrowded);
  } finally {
    occupancy.stopSpinning();
  }
}

// Messages are handled in order (those taken while spinning too), so a batch posted after setData sees the new data.
port.on('message', (request: WorkerRequest) => {
  for (let next: WorkerRequest | undefined = request, spun = false; next && serve(next, spun); spun = true) next = nextSoon();
});

reply({ kind: 'ready' });
