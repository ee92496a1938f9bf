import { createHash } from 'node:crypto';
import { Engine, readDataFile } from '../engine/index.js';
import { describeThrown, WasmgateError } from '../errors.js';
import type { GatekeeperSource } from '../gatekeeper/source.js';

export interface PolicyOptions {
  /** A compiled bundle: a directory with policy.wasm and data.json, or an OPA bundle .tar.gz. */
  readonly bundle: string;
  /** A data document replacing the bundle's own. */
  readonly dataFile?: string;
  /** A directory of Gatekeeper templates and constraints, read and compiled on every (re)load. */
  readonly gatekeeper?: string;
  readonly gatekeeperOnly?: boolean;
  readonly workers: number;
  /** CPUs the process may use (its cgroup quota counted) and how long its threads spin for each other: see EngineOptions. */
  readonly cores: number;
  readonly spinMicros: number;
  readonly timeoutMs: number;
  readonly memoryLimitBytes: number;
  readonly print?: (line: string) => void;
}

/** One loaded, self-checked policy: an engine and what identifies it. */
export interface LoadedPolicy {
  readonly engine: Engine;
  /** The bundle's revision, plus a hash of the data file when one replaces the bundle's data. */
  readonly revision: string;
  readonly source: string;
  readonly loadedAt: Date;
}

export interface ReloadResult {
  readonly ok: boolean;
  readonly trigger: string;
  readonly at: Date;
  /** The revision served after the reload (the old one when it failed). */
  readonly revision: string;
  readonly previousRevision: string;
  readonly error?: string;
}

/** A review every policy can decide: creating an empty ConfigMap. Used to check a policy before serving it. */
export const selfCheckReview = Object.freeze({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'wasmgate-self-check',
    kind: { group: '', version: 'v1', kind: 'ConfigMap' },
    resource: { group: '', version: 'v1', resource: 'configmaps' },
    name: 'wasmgate-self-check',
    namespace: 'wasmgate-self-check',
    operation: 'CREATE',
    userInfo: { username: 'system:wasmgate:self-check', groups: ['system:authenticated'] },
    object: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'wasmgate-self-check', namespace: 'wasmgate-self-check' },
      data: {},
    },
    dryRun: true,
  },
});

/** Compiles a directory of Gatekeeper templates; its modules (~15 MiB) load only for a server that has one. */
async function loadGatekeeper(dir: string): Promise<GatekeeperSource> {
  const [{ loadGatekeeperDir }, { resolveOpa }] = await Promise.all([import('../gatekeeper/source.js'), import('../toolchain/opa.js')]);
  return loadGatekeeperDir(dir, { opa: resolveOpa() });
}

/**
 * Loads a policy into fresh workers and checks it: they must decide and mutate the self-check review
 * (allowed or not, patched or not: a well-formed answer is what counts). Throws, with the engine
 * closed, otherwise.
 */
export async function loadPolicy(options: PolicyOptions): Promise<LoadedPolicy> {
  const data = options.dataFile === undefined ? undefined : readDataFile(options.dataFile);
  const gatekeeper = options.gatekeeper === undefined ? undefined : await loadGatekeeper(options.gatekeeper);
  const engine = await Engine.load({
    ...(gatekeeper ? { gatekeeper, gatekeeperOnly: Boolean(options.gatekeeperOnly) } : {}),
    bundle: options.bundle,
    data,
    workers: options.workers,
    cores: options.cores,
    spinMicros: options.spinMicros,
    timeoutMs: options.timeoutMs,
    memoryLimitBytes: options.memoryLimitBytes,
    print: options.print,
  });
  try {
    // Once all have started, the samples go one to each worker (or to the one instance of an engine without).
    await engine.ready();
    await Promise.all(Array.from({ length: Math.max(1, engine.workers) }, () => Promise.all([engine.evaluate(selfCheckReview), engine.mutate(selfCheckReview)])));
  } catch (err) {
    await engine.close();
    throw new WasmgateError('BUNDLE_INVALID', `the policy failed its self-check: ${describeThrown(err)}`, { cause: err });
  }
  const dataHash = data === undefined ? '' : `+data.${createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 8)}`;
  return { engine, revision: engine.revision + dataHash, source: engine.source, loadedAt: new Date() };
}

/**
 * The policy being served, replaced atomically by reloads. A request takes `current.engine` once and
 * evaluates on it; a reload loads and self-checks a new policy in fresh workers, swaps it in, then
 * closes the old engine, which lets the evaluations already on it finish. A failed reload changes
 * nothing. Reloads run one at a time; requests for one while another runs are merged into one more.
 */
export class PolicyHolder {
  private queued?: Promise<ReloadResult>;
  private running: Promise<unknown> = Promise.resolve();
  private closed = false;
  private last?: ReloadResult;
  /** Replaced engines still finishing their evaluations. */
  private readonly retiring = new Set<Promise<void>>();

  private constructor(
    private policy: LoadedPolicy,
    private readonly options: PolicyOptions,
  ) {}

  /** Loads the first policy; fails (nothing to serve) if it does not load or pass its self-check. */
  static async load(options: PolicyOptions): Promise<PolicyHolder> {
    return new PolicyHolder(await loadPolicy(options), options);
  }

  get current(): LoadedPolicy {
    return this.policy;
  }

  /** How the last reload went, if there was one. */
  get lastReload(): ReloadResult | undefined {
    return this.last;
  }

  reload(trigger: string): Promise<ReloadResult> {
    if (this.queued) return this.queued;
    const next = this.running.then(() => {
      this.queued = undefined;
      return this.replace(trigger);
    });
    this.queued = next;
    this.running = next.catch(() => {});
    return next;
  }

  private async replace(trigger: string): Promise<ReloadResult> {
    const previous = this.policy;
    let result: ReloadResult;
    if (this.closed) {
      result = { ok: false, trigger, at: new Date(), revision: previous.revision, previousRevision: previous.revision, error: 'the server is shutting down' };
    } else {
      try {
        const fresh = await loadPolicy(this.options);
        if (this.closed) {
          await fresh.engine.close();
          throw new Error('the server is shutting down');
        }
        this.policy = fresh;
        result = { ok: true, trigger, at: new Date(), revision: fresh.revision, previousRevision: previous.revision };
      } catch (err) {
        result = { ok: false, trigger, at: new Date(), revision: previous.revision, previousRevision: previous.revision, error: describeThrown(err) };
      }
    }
    this.last = result;
    // Evaluations already on the old engine finish there and it stops after them; the next reload
    // need not wait for that (a slow review on the old engine must not hold back new policies).
    if (this.policy !== previous) {
      const retired = previous.engine.close().finally(() => this.retiring.delete(retired));
      this.retiring.add(retired);
    }
    return result;
  }

  /** Waits for a reload under way, then closes the engine and those retiring (after their evaluations in flight). */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await Promise.all([this.policy.engine.close(), ...this.retiring]);
  }
}
