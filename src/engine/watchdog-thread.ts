import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { epochMicros, neverMicros, watchdogLayout, type WatchdogInit, type WatchedMemory } from './watchdog.js';
import { stopFlagAddress } from './interruptible.js';

// The watchdog of an engine that evaluates in its calling thread (see Watchdog): sleeps until the
// running evaluation's deadline, and sets the stop flag in its memory if it is still running then.
const init = workerData as WatchdogInit;
const words = new Int32Array(init.control, 0, 2);
const times = new BigInt64Array(init.control, 8, 2);
/** The stop flag of the latest memory, and its generation: an arm names only the latest (it is posted before the arm). */
let latest: { generation: number; flag: Int32Array } | undefined;

for (;;) {
  for (let got = receiveMessageOnPort(init.port); got; got = receiveMessageOnPort(init.port)) {
    const memory = got.message as WatchedMemory;
    latest = { generation: memory.generation, flag: new Int32Array(memory.buffer, stopFlagAddress, 1) };
  }
  const sequence = Atomics.load(words, watchdogLayout.sequence);
  let wakeAt = neverMicros;
  if (sequence & 1) {
    const generation = Atomics.load(words, watchdogLayout.generation);
    const stopAt = Atomics.load(times, watchdogLayout.stopAt);
    const now = epochMicros();
    // Read again: the three words describe one evaluation only if its number did not change meanwhile.
    if (Atomics.load(words, watchdogLayout.sequence) !== sequence) continue;
    if (now < stopAt) wakeAt = stopAt;
    // Armed in a memory not drained yet (posted just before the arm): the next drain has it.
    else if (latest?.generation !== generation) continue;
    else Atomics.store(latest.flag, 0, sequence);
  }
  Atomics.store(times, watchdogLayout.wakesAt, wakeAt);
  const now = epochMicros();
  Atomics.wait(words, watchdogLayout.sequence, sequence, wakeAt === neverMicros ? Infinity : Math.max(0, Number(wakeAt - now) / 1000));
}
