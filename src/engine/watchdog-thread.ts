import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { watchdogLayout, type WatchdogInit, type WatchedMemory } from './watchdog.js';
import { stopFlagAddress } from './interruptible.js';

// The watchdog of an engine that evaluates in its calling thread (see Watchdog): sleeps until the
// running evaluation's deadline, and sets the stop flag in its memory if it is still running then.
const init = workerData as WatchdogInit;
const words = new Int32Array(init.control, 0, 2);
const times = new BigInt64Array(init.control, 8, 2);
const never = 2n ** 62n;
/** The flag of each memory by generation: the current one, and the one before while an arm may still name it. */
const flags = new Map<number, Int32Array>();

for (;;) {
  for (let got = receiveMessageOnPort(init.port); got; got = receiveMessageOnPort(init.port)) {
    const memory = got.message as WatchedMemory;
    flags.set(memory.generation, new Int32Array(memory.buffer, stopFlagAddress, 1));
    flags.delete(memory.generation - 2);
  }
  const sequence = Atomics.load(words, watchdogLayout.sequence);
  let wakeAt = never;
  if (sequence & 1) {
    const generation = Atomics.load(words, watchdogLayout.generation);
    const stopAt = Atomics.load(times, watchdogLayout.stopAt);
    const now = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    // Read again: the three words describe one evaluation only if its number did not change meanwhile.
    if (Atomics.load(words, watchdogLayout.sequence) !== sequence) continue;
    if (now < stopAt) wakeAt = stopAt;
    else {
      const flag = flags.get(generation);
      if (flag) Atomics.store(flag, 0, sequence);
    }
  }
  Atomics.store(times, watchdogLayout.wakesAt, wakeAt);
  const now = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  Atomics.wait(words, watchdogLayout.sequence, sequence, wakeAt === never ? Infinity : Math.max(0, Number(wakeAt - now) / 1000));
}
