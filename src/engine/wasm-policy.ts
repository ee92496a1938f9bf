import { createRequire } from 'node:module';
import { WasmgateError, describeThrown } from '../errors.js';
import { builtinTable, missingBuiltins, type BuiltinOperands } from './builtins/index.js';
import { parseRegoValue, type RegoValue } from './builtins/rego-value.js';

// The SDK's ES module entry exports only its loaders; LoadedPolicy comes from its CommonJS entry.
const { LoadedPolicy } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');
type SdkPolicy = InstanceType<typeof LoadedPolicy>;

/**
 * The SDK's own record of where its data sits in WASM memory (fields of LoadedPolicy, a pinned
 * version): setDataValue and evaluateValue work beside its setData and evaluate, on the same heap.
 */
interface SdkHeap {
  dataAddr: number;
  baseHeapPtr: number;
  dataHeapPtr: number;
}

export const wasmPageBytes = 64 * 1024;

export interface MemoryLimits {
  /** Pages the memory starts with. */
  readonly initialPages: number;
  /** The ceiling: an evaluation that needs more fails with MEMORY_LIMIT. */
  readonly maximumPages: number;
}

export const defaultMemoryLimits: MemoryLimits = { initialPages: 32, maximumPages: (256 * 1024 * 1024) / wasmPageBytes };

interface WasmExports {
  memory?: WebAssembly.Memory;
  builtins(): number;
  entrypoints(): number;
  opa_json_dump(addr: number): number;
  opa_value_dump(addr: number): number;
  opa_json_parse(addr: number, len: number): number;
  opa_value_parse(addr: number, len: number): number;
  opa_malloc(len: number): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(addr: number): void;
  opa_eval(reserved: 0, entrypoint: number, data: number, input: number, inputLen: number, heapPtr: number, format: 0 | 1): number;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(ctx: number, value: number): void;
  opa_eval_ctx_set_data(ctx: number, value: number): void;
  opa_eval_ctx_set_entrypoint(ctx: number, entrypoint: number): void;
  opa_eval_ctx_get_result(ctx: number): number;
  eval(ctx: number): number;
  opa_wasm_abi_version?: WebAssembly.Global | number;
  opa_wasm_abi_minor_version?: WebAssembly.Global | number;
}

function globalValue(g: WebAssembly.Global | number | undefined): number | undefined {
  return g === undefined ? undefined : typeof g === 'number' ? g : Number(g.value);
}

/** Reads a NUL-terminated UTF-8 string out of WASM memory. */
function readCString(memory: WebAssembly.Memory, addr: number): string {
  const bytes = new Uint8Array(memory.buffer);
  const end = bytes.indexOf(0, addr);
  return Buffer.from(bytes.buffer, addr, end - addr).toString('utf8');
}

export type PrintSink = (line: string) => void;

/**
 * The builtins a compiled module calls out for (its non-native ones), read without running it:
 * an instance whose imports all refuse is enough to call the `builtins` export.
 */
export function requiredBuiltins(module: WebAssembly.Module, memoryMinPages: number, shared = false): readonly string[] {
  // An instance rebuilt after an evaluation error asks again: the answer is the module's.
  const known = builtinsOf.get(module);
  if (known) return known;
  const names = readBuiltins(module, memoryMinPages, shared);
  builtinsOf.set(module, names);
  return names;
}

const builtinsOf = new WeakMap<WebAssembly.Module, readonly string[]>();

function readBuiltins(module: WebAssembly.Module, memoryMinPages: number, shared: boolean): string[] {
  // As much as an instance starts with: OPA may declare a minimum below what its data segments fill.
  const initial = Math.max(defaultMemoryLimits.initialPages, memoryMinPages);
  const memory = new WebAssembly.Memory(shared ? { initial, maximum: initial, shared } : { initial });
  const refuse = () => {
    throw new Error('not callable while reading the builtin list');
  };
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      opa_abort: refuse,
      opa_println: refuse,
      opa_builtin0: refuse,
      opa_builtin1: refuse,
      opa_builtin2: refuse,
      opa_builtin3: refuse,
      opa_builtin4: refuse,
    },
  });
  const exports = instance.exports as unknown as WasmExports;
  const raw = JSON.parse(readCString(memory, exports.opa_json_dump(exports.builtins()))) as Record<string, number>;
  return Object.keys(raw).sort();
}

/**
 * One instance of a compiled policy, evaluated synchronously in the calling thread.
 *
 * We build the WASM import object ourselves and hand the instance to the SDK's LoadedPolicy for
 * memory handling and evaluation. The SDK's own dispatcher passes builtins JSON (losing sets) and
 * prefers its own implementations over custom ones, so its sprintf could not be corrected otherwise.
 */
export class WasmPolicy {
  private readonly sdk: SdkPolicy;
  private readonly exports: WasmExports;
  /** Shared (a SharedArrayBuffer underneath) when the module is the interruptible one: see interruptible.ts. */
  readonly memory: WebAssembly.Memory;
  private readonly maximumBytes: number;
  private readonly abiMinor: number;
  readonly entrypoints: Readonly<Record<string, number>>;

  constructor(
    module: WebAssembly.Module,
    memoryMinPages: number,
    limits: MemoryLimits = defaultMemoryLimits,
    print: PrintSink = () => {},
    /** The module imports a shared memory (it was made interruptible). */
    sharedMemory = false,
  ) {
    const missing = missingBuiltins(requiredBuiltins(module, memoryMinPages, sharedMemory));
    if (missing.length > 0) {
      throw new WasmgateError(
        'BUILTIN_MISSING',
        `the policy needs builtins wasmgate cannot run: ${missing.join(', ')} (rebuild it with wasmgate's capabilities file)`,
      );
    }
    if (memoryMinPages > limits.maximumPages) {
      throw new WasmgateError(
        'MEMORY_LIMIT',
        `the policy needs at least ${memoryMinPages * wasmPageBytes} bytes of memory, more than its ceiling of ${limits.maximumPages * wasmPageBytes}`,
      );
    }
    this.memory = new WebAssembly.Memory({
      initial: Math.max(limits.initialPages, memoryMinPages),
      maximum: limits.maximumPages,
      shared: sharedMemory,
    });
    this.maximumBytes = limits.maximumPages * wasmPageBytes;
    const memory = this.memory;
    const table = builtinTable();
    let exports: WasmExports | undefined;
    const idToName = new Map<number, string>();

    const dumpJson = (addr: number): unknown => JSON.parse(readCString(memory, exports!.opa_json_dump(addr)));
    const dumpRego = (addr: number): RegoValue => parseRegoValue(readCString(memory, exports!.opa_value_dump(addr)));
    const loadJson = (value: unknown): number => {
      if (value === undefined) return 0;
      const bytes = Buffer.from(JSON.stringify(value), 'utf8');
      const addr = exports!.opa_malloc(bytes.byteLength);
      new Uint8Array(memory.buffer).set(bytes, addr);
      const parsed = exports!.opa_json_parse(addr, bytes.byteLength);
      if (parsed === 0) throw new WasmgateError('EVAL_FAILED', 'a builtin returned a value the policy cannot read');
      return parsed;
    };
    const call = (id: number, addrs: number[]): number => {
      const name = idToName.get(id) ?? `#${id}`;
      const impl = table.get(name);
      if (!impl) throw new WasmgateError('BUILTIN_MISSING', `builtin ${name} is not implemented`);
      const operands: BuiltinOperands = {
        count: addrs.length,
        json: (i) => dumpJson(addrs[i]!),
        rego: (i) => dumpRego(addrs[i]!),
      };
      return loadJson(impl(operands));
    };

    const instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        opa_abort: (addr: number) => {
          throw new WasmgateError('EVAL_FAILED', `policy aborted: ${readCString(memory, addr)}`);
        },
        opa_println: (addr: number) => print(readCString(memory, addr)),
        opa_builtin0: (id: number) => call(id, []),
        opa_builtin1: (id: number, _ctx: number, a: number) => call(id, [a]),
        opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, [a, b]),
        opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, [a, b, c]),
        opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => call(id, [a, b, c, d]),
      },
    });
    exports = instance.exports as unknown as WasmExports;
    this.exports = exports;

    const major = globalValue(exports.opa_wasm_abi_version);
    const minor = globalValue(exports.opa_wasm_abi_minor_version);
    if (major !== 1) throw new WasmgateError('BUNDLE_INVALID', `unsupported OPA WASM ABI version ${String(major)}`);
    const ids = dumpJson(exports.builtins()) as Record<string, number>;
    for (const [name, id] of Object.entries(ids)) idToName.set(id, name);

    this.abiMinor = minor ?? 0;
    this.sdk = new LoadedPolicy(instance as unknown as WebAssembly.WebAssemblyInstantiatedSource, memory, minor);
    this.entrypoints = this.sdk.entrypoints as Record<string, number>;
  }

  /** Bytes of WASM memory in use now (it only grows). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Evaluates one entrypoint. An ArrayBuffer input must hold JSON; it is copied into WASM memory
   * as it is, without being parsed or stringified in JavaScript.
   */
  evaluate(entrypoint: string, input: unknown): unknown {
    const id = this.entrypointId(entrypoint);
    return this.guardedCall(() => {
      const resultSet = this.sdk.evaluate(input, id) as { result: unknown }[];
      return resultSet.length > 0 ? resultSet[0]!.result : undefined;
    });
  }

  /**
   * Evaluates entrypoints in turn on one input, which the instance parses once: `seen` gets each result
   * (as `evaluate` returns it) before the next entrypoint runs, and returns false to stop there.
   * Throws INPUT_INVALID when the input is not JSON the instance can read.
   */
  evaluateEach(input: Uint8Array, names: readonly string[], seen: (entrypoint: string, result: unknown) => boolean): void {
    const ids = names.map((name) => this.entrypointId(name));
    const parsed = this.guardedCall(() => this.parseInput(input));
    if (parsed === 0) throw new WasmgateError('INPUT_INVALID', 'the input is not JSON the policy can read');
    for (const [i, id] of ids.entries()) {
      if (!seen(names[i]!, this.guardedCall(() => this.evaluateParsed(id, parsed)))) return;
    }
  }

  /** The input parsed into the heap as data left it (as the SDK's evaluate starts each evaluation); 0 when it is not JSON. */
  private parseInput(input: Uint8Array): number {
    const { exports } = this;
    exports.opa_heap_ptr_set(this.heap.dataHeapPtr);
    const addr = exports.opa_malloc(input.byteLength);
    new Uint8Array(this.memory.buffer).set(input, addr);
    return exports.opa_json_parse(addr, input.byteLength);
  }

  /** One entrypoint on an input already in the heap, its result as `evaluate` returns it. */
  private evaluateParsed(entrypoint: number, input: number): unknown {
    const { exports } = this;
    const ctx = exports.opa_eval_ctx_new();
    exports.opa_eval_ctx_set_input(ctx, input);
    exports.opa_eval_ctx_set_data(ctx, this.heap.dataAddr);
    exports.opa_eval_ctx_set_entrypoint(ctx, entrypoint);
    exports.eval(ctx);
    const resultSet = JSON.parse(readCString(this.memory, exports.opa_json_dump(exports.opa_eval_ctx_get_result(ctx)))) as { result: unknown }[];
    return resultSet.length > 0 ? resultSet[0]!.result : undefined;
  }

  /** The entrypoint's number in the module; BUNDLE_INVALID when it has none by that name. */
  private entrypointId(name: string): number {
    const id = this.entrypoints[name];
    if (id === undefined) throw new WasmgateError('BUNDLE_INVALID', `the policy has no entrypoint ${name}`);
    return id;
  }

  /** The SDK's record of where data sits in the heap (SdkHeap). */
  private get heap(): SdkHeap {
    return this.sdk as unknown as SdkHeap;
  }

  /** `call`, its failures classified (MEMORY_LIMIT, or EVAL_FAILED with what went wrong). */
  private guardedCall<T>(call: () => T): T {
    try {
      return call();
    } catch (err) {
      throw this.classify(err, 'evaluation failed');
    }
  }

  /**
   * Evaluates an entrypoint on no input and returns its result as a Rego value, with sets kept as
   * sets (JSON would turn them into arrays); undefined when the rule is.
   */
  evaluateValue(entrypoint: string): RegoValue | undefined {
    const id = this.entrypointId(entrypoint);
    if (this.abiMinor < 2) throw new WasmgateError('BUNDLE_INVALID', `OPA WASM ABI 1.${this.abiMinor} has no one-off evaluation (opa_eval): rebuild the policy with OPA 0.37 or newer`);
    const { heap } = this;
    const resultSet = this.guardedCall(() => parseRegoValue(readCString(this.memory, this.exports.opa_eval(0, id, heap.dataAddr, 0, 0, heap.dataHeapPtr, 1))));
    // In the value format the result set is a set of {"result": value}, of one element at most.
    const first = resultSet.type === 'set' || resultSet.type === 'array' ? resultSet.items[0] : undefined;
    if (first?.type !== 'object') return undefined;
    return first.entries.find(([k]) => k.type === 'string' && k.value === 'result')?.[1];
  }

  /** Replaces the whole `data` document with one written in Rego's value syntax (JSON plus sets). */
  setDataValue(text: string): void {
    const { heap } = this;
    try {
      // As the SDK's setData does, with the parser that reads set literals.
      this.exports.opa_heap_ptr_set(heap.baseHeapPtr);
      const bytes = Buffer.from(text, 'utf8');
      const addr = this.exports.opa_malloc(bytes.byteLength);
      new Uint8Array(this.memory.buffer).set(bytes, addr);
      const parsed = this.exports.opa_value_parse(addr, bytes.byteLength);
      if (parsed === 0) throw new WasmgateError('DATA_INVALID', 'the policy could not read the prepared data');
      heap.dataAddr = parsed;
      heap.dataHeapPtr = this.exports.opa_heap_ptr_get();
    } catch (err) {
      throw this.classify(err, 'loading data failed');
    }
  }

  /** Replaces the whole `data` document (an ArrayBuffer must hold JSON). */
  setData(data: unknown): void {
    try {
      this.sdk.setData(data as object);
    } catch (err) {
      throw this.classify(err, 'loading data failed');
    }
  }

  private classify(err: unknown, what: string): WasmgateError {
    if (err instanceof WasmgateError && err.code !== 'EVAL_FAILED') return err;
    const text = describeThrown(err);
    const atCeiling = this.memory.buffer.byteLength + 4 * wasmPageBytes > this.maximumBytes;
    if ((err instanceof RangeError && /memory/i.test(text)) || /out of memory|malloc/i.test(text) || atCeiling) {
      return new WasmgateError(
        'MEMORY_LIMIT',
        `${what}: the policy needed more than its memory ceiling of ${this.maximumBytes} bytes (${text})`,
        { cause: err },
      );
    }
    return err instanceof WasmgateError ? err : new WasmgateError('EVAL_FAILED', `${what}: ${text}`, { cause: err });
  }

}
