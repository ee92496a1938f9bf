import { parentPort, workerData } from 'node:worker_threads';
import { isWasmgateError } from '../errors.js';
import { PolicyEvaluator } from './evaluator.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js';

// A pool worker: one PolicyEvaluator (one WASM instance) that answers requests one at a time.
const init = workerData as WorkerInit;
const port = parentPort!;
const reply = (message: WorkerReply) => port.postMessage(message);

const evaluator = new PolicyEvaluator(
  { module: init.module, memoryMinPages: init.memoryMinPages, data: init.data, revision: init.revision, source: init.source },
  { limits: init.limits, print: (line) => reply({ kind: 'print', line }) },
);

port.on('message', (request: WorkerRequest) => {
  try {
    let value: unknown;
    if (request.kind === 'setData') value = evaluator.setData(request.data);
    else value = request.kind === 'decide' ? evaluator.decide(request.input) : evaluator.mutate(request.input);
    reply({ id: request.id, ok: true, value, memoryBytes: evaluator.memoryBytes });
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
