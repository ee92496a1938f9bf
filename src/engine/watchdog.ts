import { performance } from 'node:perf_hooks';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { stopFlagAddress } from './interruptible.js';

/**
 * The words the calling thread and its watchdog share. `sequence` is odd while an evaluation runs
 * (the number of that evaluation) and even between them; `generation` names the memory it runs in (two
 * Int32 words); then, in a BigInt64Array from byte 8,
 * `stopAt` is when it must stop and `wakesAt` when the watchdog next looks, both epoch microseconds.
 */
export const watchdogLayout = { sequence: 0, generation: 1, stopAt: 0, wakesAt: 1, bytes: 24 } as const;

/** What the watchdog thread starts with. */
export interface WatchdogInit {
  readonly control: SharedArrayBuffer;
  /** Where the memories to stop arrive, as `{ generation, buffer }`. */
  readonly port: MessagePort;
}

/** A memory the watchdog can stop evaluations in: the buffer of a shared WebAssembly.Memory, and its number. */
export interface WatchedMemory {
  readonly generation: number;
  readonly buffer: SharedArrayBuffer;
}

/** A time no deadline reaches, in epoch microseconds: the watchdog sleeps until woken. */
export const neverMicros = 2n ** 62n;

/** Now, in epoch microseconds: the clock both threads share. */
export const epochMicros = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));

const threadUrl = new URL('./watchdog-thread.js', import.meta.url);

/**
 * Stops an evaluation running in this thread at its deadline, from a thread of its own: it sets the
 * stop flag in the evaluation's (shared) memory, which the interruptible module checks in every loop.
 * Arming costs two stores and, only when the watchdog sleeps past the new deadline, a wake; between
 * evaluations nothing runs. The thread never returns to its event loop: it sleeps in Atomics.wait. A
 * watchdog thread that dies (it should not) is started again at once, on the same shared words.
 */
export class Watchdog {
  private readonly control = new SharedArrayBuffer(watchdogLayout.bytes);
  private readonly words = new Int32Array(this.control, 0, 2);
  private readonly times = new BigInt64Array(this.control, 8, 2);
  private worker!: Worker;
  private port!: MessagePort;
  private online!: Promise<void>;
  private closing = false;
  private sequence = 0;
  private memory?: WebAssembly.Memory;
  /** The memory the watchdog stops evaluations in, as posted to its thread, and its stop flag. */
  private watched?: WatchedMemory & { readonly flag: Int32Array };

  constructor() {
    this.start();
  }

  private start(): void {
    const channel = new MessageChannel();
    this.port = channel.port1;
    const init: WatchdogInit = { control: this.control, port: channel.port2 };
    const worker = new Worker(threadUrl, { workerData: init, transferList: [channel.port2], execArgv: [] });
    this.worker = worker;
    // Until it runs, someone awaiting ready() needs the process alive; after, the watchdog never keeps it so.
    this.online = new Promise((resolve, reject) => {
      worker.once('online', () => {
        worker.unref();
        resolve();
      });
      worker.once('error', reject);
    });
    this.online.catch(() => {});
    worker.once('exit', () => {
      if (this.closing) return;
      this.port.close();
      this.start();
      // The new thread reads the shared words as it starts; the memory it must stop comes again.
      this.post();
    });
  }

  /** Resolves once the watchdog thread runs (an evaluation armed before is stopped once it does). */
  ready(): Promise<void> {
    return this.online;
  }

  /**
   * Arms the watchdog for one evaluation in `memory` (the instance's, which changes when an instance is
   * rebuilt): it is stopped `limitMs` from now (Infinity: never) unless disarmed first. Returns the evaluation's number.
   */
  arm(memory: WebAssembly.Memory, limitMs: number): number {
    if (memory !== this.memory) {
      const buffer: unknown = memory.buffer;
      if (!(buffer instanceof SharedArrayBuffer)) throw new Error('the watchdog stops evaluations in shared memories only');
      this.memory = memory;
      this.watched = { generation: (this.watched?.generation ?? 0) + 1, buffer, flag: new Int32Array(buffer, stopFlagAddress, 1) };
      this.post();
    }
    const { generation, flag } = this.watched!;
    Atomics.store(flag, 0, 0);
    this.sequence += 2;
    const number = this.sequence - 1;
    const stopAt = Number.isFinite(limitMs) ? epochMicros() + BigInt(Math.ceil(limitMs * 1000)) : neverMicros;
    Atomics.store(this.words, watchdogLayout.generation, generation);
    Atomics.store(this.times, watchdogLayout.stopAt, stopAt);
    Atomics.store(this.words, watchdogLayout.sequence, number);
    if (Atomics.load(this.times, watchdogLayout.wakesAt) > stopAt) Atomics.notify(this.words, watchdogLayout.sequence);
    return number;
  }

  /** Tells the thread which memory to stop evaluations in. */
  private post(): void {
    if (!this.watched) return;
    const { generation, buffer } = this.watched;
    this.port.postMessage({ generation, buffer } satisfies WatchedMemory);
  }

  disarm(): void {
    Atomics.store(this.words, watchdogLayout.sequence, this.sequence);
  }

  /**
   * Whether the watchdog stopped evaluation `number`: its flag holds that number. A flag holding another
   * is a stop meant for an evaluation that finished just as its deadline came (the caller runs it again).
   */
  stopped(number: number): 'this' | 'stale' | 'no' {
    const value = this.watched ? Atomics.load(this.watched.flag, 0) : 0;
    return value === number ? 'this' : value === 0 ? 'no' : 'stale';
  }

  close(): Promise<number> {
    this.closing = true;
    this.port.close();
    return this.worker.terminate();
  }
}
