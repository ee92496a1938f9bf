import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { isWasmgateError } from '../errors.js';
import { GatekeeperDecider, mergeDecisions } from '../gatekeeper/decider.js';
import type { Decision } from './decision.js';
import { noMutation, type Mutation } from './mutation.js';
import { PolicyEvaluator, type PolicyInput } from './evaluator.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js';

// A pool worker: one PolicyEvaluator (one WASM instance), and Gatekeeper's templates when given, that
// answers requests one at a time.
const init = workerData as WorkerInit;
const port = parentPort!;
const reply = (message: WorkerReply) => port.postMessage(message);

const evaluator =
  init.bundle && new PolicyEvaluator({ ...init.bundle, data: init.data }, { limits: init.limits, print: (line) => reply({ kind: 'print', line }) });
const gatekeeper = init.gatekeeper && new GatekeeperDecider(init.gatekeeper, init.data, init.limits);

function decide(input: PolicyInput): Decision {
  const fromGatekeeper = gatekeeper?.decide(input);
  const fromBundle = evaluator?.decide(input);
  if (fromBundle && fromGatekeeper) return mergeDecisions(fromBundle, fromGatekeeper);
  return (fromBundle ?? fromGatekeeper)!;
}

/** Gatekeeper's templates only validate: the bundle's mutation is the whole of it. */
function mutate(input: PolicyInput): Mutation {
  return evaluator ? evaluator.mutate(input) : noMutation;
}

function setData(data: unknown): void {
  evaluator?.setData(data);
  gatekeeper?.setData(data);
}

port.on('message', (request: WorkerRequest) => {
  const started = performance.now();
  try {
    let value: unknown;
    if (request.kind === 'setData') value = setData(request.data);
    else value = request.kind === 'decide' ? decide(request.input) : mutate(request.input);
    const evaluationMs = performance.now() - started;
    reply({ id: request.id, ok: true, value, memoryBytes: (evaluator?.memoryBytes ?? 0) + (gatekeeper?.memoryBytes ?? 0), evaluationMs });
  } catch (err) {
    reply({
      id: request.id,
      ok: false,
      code: isWasmgateError(err) ? err.code : 'EVAL_FAILED',
      message: err instanceof Error ? err.message : String(err),
    });
  }
});

reply({ kind: 'ready' });
