import { parentPort, workerData } from 'node:worker_threads';
import { WasmPolicy } from '../engine/index.js';
import { describeThrown } from '../errors.js';

// Runs compiled Rego tests one at a time for runTestsOnWasm, which stops this thread when one
// overruns its deadline (a WASM evaluation cannot be interrupted from inside its thread).

export interface TestWorkerInit {
  readonly module: WebAssembly.Module;
  readonly memoryMinPages: number;
  readonly data: unknown;
}

export interface TestWorkerReply {
  readonly entrypoint: string;
  readonly outcome: 'pass' | 'fail' | 'error';
  readonly detail: string;
}

const init = workerData as TestWorkerInit;
const port = parentPort!;

function fresh(): WasmPolicy {
  const policy = new WasmPolicy(init.module, init.memoryMinPages);
  policy.setData(init.data);
  return policy;
}

let policy = fresh();
port.on('message', (entrypoint: string) => {
  let reply: TestWorkerReply;
  try {
    const value = policy.evaluate(entrypoint, undefined);
    reply = { entrypoint, outcome: value === true ? 'pass' : 'fail', detail: value === undefined ? 'undefined' : JSON.stringify(value) };
  } catch (err) {
    reply = { entrypoint, outcome: 'error', detail: describeThrown(err) };
    // A trapped instance cannot be trusted: the next test starts on a fresh one.
    policy = fresh();
  }
  port.postMessage(reply);
});
port.postMessage('ready');
