import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { manifestOperations, parseOperation, requestDefaults } from '../../admission/synthesize.js';
import { describeThrown, isWasmgateError, WasmgateError } from '../../errors.js';
import { readManifests, type InputProblem, type ManifestSet } from '../../manifests/index.js';
import { describeSource, exitCodeOf, formatNames, formatterFor } from '../../output/index.js';
import { packageRoot } from '../../paths.js';
import { evaluateManifests, prepareReviews, type Decider, type PrepareOptions } from '../evaluate-manifests.js';
import { processIO, useColor, type CommandIO } from '../io.js';
import { describeRules } from '../../toolchain/entrypoints.js';

export interface EvalFlags {
  output: string;
  failOnWarn: boolean;
  namespace: string;
  operation: string;
  user: string;
  group: string[];
  crds: string[];
  ignore: string[];
  policy?: string;
  data?: string;
  gatekeeper?: string;
  gatekeeperOnly?: boolean;
  inventory?: string[];
  verbose: boolean;
  progress: boolean;
  showRequest: boolean;
  workers?: number;
}

const usageExit = 2;

function toolVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1.');
  return n;
}

/** The engine a run decides with, and how it is let go. */
export interface EngineHandle extends Decider {
  close(): Promise<void>;
}

/** Opens the engine for a run; injected so tests can share one engine between in-process runs. */
export type OpenEngine = (flags: EvalFlags, documents: number, io: CommandIO) => Promise<EngineHandle>;

/** The policy named by --policy (default wasm/), with --data, on a pool sized to the run. */
export const loadEngine: OpenEngine = async (flags, documents, io) => {
  // Loaded when a run needs them, so that --help and --version start fast.
  const [{ Engine, engineDefaults, readDataFile }, { resolveGatekeeper, resolvePolicy }] = await Promise.all([import('../../engine/index.js'), import('../policy-source.js')]);
  const data = flags.data !== undefined ? readDataFile(flags.data) : undefined;
  const log = (line: string) => io.stderr.write(`wasmgate: ${line}\n`);
  const gatekeeper = await resolveGatekeeper(flags, log);
  const policy = await resolvePolicy(gatekeeper.only ? undefined : flags.policy, log);
  // More workers than documents would only cost start-up time.
  const workers = flags.workers ?? Math.max(1, Math.min(engineDefaults.workers, Math.ceil(documents / 16)));
  try {
    // The engine holds the compiled module: files compiled for this run are not needed after loading.
    return await Engine.load({ bundle: policy.bundle, ...(data !== undefined ? { data } : {}), workers, ...gatekeeper.engineOptions });
  } catch (err) {
    // The engine words a rejection for a running server (its previous data stays); a run has none.
    if (flags.data !== undefined && isWasmgateError(err, 'DATA_INVALID') && err.details) {
      throw new WasmgateError('DATA_INVALID', `--data ${flags.data} is rejected by the policy's config_errors:\n  - ${err.details.join('\n  - ')}`, { cause: err });
    }
    throw err;
  } finally {
    policy.dispose();
  }
};

/**
 * `--show-request`: the AdmissionReview each document becomes, one JSON document a line (for
 * `curl --data-binary @-` at a running webhook), nothing decided. Input problems go to stderr.
 */
function showRequests(set: ManifestSet, options: PrepareOptions, io: CommandIO): number {
  const prepared = prepareReviews(set, options);
  for (const { review } of prepared.reviews) io.stdout.write(`${JSON.stringify(review)}\n`);
  const all = [...set.problems, ...prepared.problems];
  for (const p of all) io.stderr.write(`wasmgate eval: ${describeSource(p)}: ${p.message}\n`);
  for (const n of [...(set.notes ?? []), ...prepared.notes]) io.stderr.write(`wasmgate eval: note: ${describeSource(n)}: ${n.message}\n`);
  return all.length > 0 ? usageExit : 0;
}

/** `wasmgate eval`: read, decide, print; returns the exit code. */
export async function runEval(paths: readonly string[], flags: EvalFlags, io: CommandIO = processIO, openEngine: OpenEngine = loadEngine): Promise<number> {
  const formatter = formatterFor(flags.output)!;
  const operation = parseOperation(flags.operation);
  if (paths.length === 0) {
    io.stderr.write('wasmgate eval: name the manifests to evaluate: files, directories, or - for standard input\n(run with --help for usage)\n');
    return usageExit;
  }

  const read = await readManifests(paths, { readStdin: () => io.readStdin(), ignore: flags.ignore });
  // CustomResourceDefinitions given apart: they tell kinds' scope and plural, they are not decided.
  const crds = flags.crds.length > 0 ? await readManifests(flags.crds, { readStdin: () => io.readStdin() }) : undefined;
  const problems: InputProblem[] = [...(crds?.problems ?? []), ...read.problems];
  // Input that holds nothing (an empty file, a pipeline that printed nothing) must not pass as "all allowed".
  if (read.manifests.length === 0 && problems.length === 0) {
    problems.push({ file: read.files.join(', '), message: 'nothing to evaluate: the input holds no Kubernetes objects' });
  }
  const manifests: ManifestSet = { ...read, problems };
  const options: PrepareOptions = {
    request: { operation, namespace: flags.namespace, user: flags.user, groups: flags.group },
    ...(crds ? { crds: crds.manifests } : {}),
  };
  if (flags.showRequest) return showRequests(manifests, options, io);
  let engine: EngineHandle;
  try {
    engine = await openEngine(flags, manifests.manifests.length, io);
  } catch (err) {
    io.stderr.write(`wasmgate eval: cannot load the policy: ${describeThrown(err)}\n`);
    return usageExit;
  }

  const { progressBar } = await import('../progress.js');
  const progress = progressBar(manifests.manifests.length, flags.progress, io.stderr);
  let report;
  try {
    report = await evaluateManifests(engine, manifests, {
      ...options,
      failOnWarn: flags.failOnWarn,
      onProgress: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
    await engine.close();
  }

  const color = flags.output === 'text' && useColor(io);
  // SARIF describes each policy (its rule descriptors) from the catalogue of the policy decided with.
  const catalogue = flags.output === 'sarif' && !flags.gatekeeperOnly ? await (await import('../policy-source.js')).catalogueOfPolicy(flags.policy) : undefined;
  io.stdout.write(formatter.format(report, { color, verbose: flags.verbose, toolVersion: toolVersion(), cwd: process.cwd(), ...(catalogue ? { catalogue } : {}) }));
  return exitCodeOf(report);
}

export function registerEval(program: Command, io: CommandIO = processIO, openEngine: OpenEngine = loadEngine): void {
  program
    .command('eval')
    .description('decide Kubernetes manifests offline, as the admission webhook would (a server-side dry run)')
    .argument('[paths...]', 'manifest files, directories (searched for .yaml, .yml, .json) or - for standard input')
    .addOption(new Option('-o, --output <format>', 'output format').choices(formatNames).default('text'))
    .option('--fail-on-warn', 'exit 1 on warnings too, not only on denials', false)
    .option('-n, --namespace <namespace>', 'namespace of namespaced objects that name none', requestDefaults.namespace)
    .addOption(
      new Option('--operation <operation>', `admission operation (${manifestOperations.join(', ')})`)
        .default(requestDefaults.operation)
        .argParser((value) => {
          try {
            return parseOperation(value);
          } catch {
            throw new InvalidArgumentError(`expected one of ${manifestOperations.join(', ')}.`);
          }
        }),
    )
    .option('--user <name>', 'username of the requesting user', requestDefaults.user)
    .option('--group <group>', 'a group of the requesting user (repeatable; system:authenticated is always added)', (g: string, all: string[]) => [...all, g], [] as string[])
    .option('--ignore <glob>', 'leave out paths matching this glob: a name anywhere on the path (values-*.yaml, templates) or, with a /, a path (overlays/**) (repeatable)', (g: string, all: string[]) => [...all, g], [] as string[])
    .option('--crds <path>', 'CustomResourceDefinitions (files or directories, e.g. kubectl get crd -o yaml) that tell the scope and plural of custom kinds; not decided themselves (repeatable)', (p: string, all: string[]) => [...all, p], [] as string[])
    .option('--policy <path>', `evaluate another policy: a directory of .rego (compiled with OPA; it must define ${describeRules()}), a compiled directory (policy.wasm) or a bundle .tar.gz`)
    .option('--data <file>', 'replace the policy data with this YAML or JSON file')
    .option('--gatekeeper <dir>', 'Gatekeeper ConstraintTemplates and Constraints (YAML) to decide with, beside the policy')
    .option('--gatekeeper-only', 'decide with the --gatekeeper templates alone, without the policy')
    .option('--inventory <path>', "objects the --gatekeeper templates see as data.inventory, e.g. a dump of the cluster's Namespaces (repeatable)", (p: string, all: string[]) => [...all, p], [] as string[])
    .option('--show-request', 'print the AdmissionReview each document becomes (one JSON a line), instead of deciding it', false)
    .option('-v, --verbose', 'text output: list allowed documents too', false)
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addOption(new Option('--workers <n>', 'policy worker threads (default: one per core, fewer for small runs)').argParser(positiveInteger))
    .addHelpText(
      'after',
      `
Exit codes: 0 nothing denied, 1 something denied (or warned, with --fail-on-warn), 2 usage or input error.

Examples:
  wasmgate eval deploy/                                  # every .yaml/.yml/.json below deploy/
  kubectl get deploy,ds,sts,cj,po -A -o yaml | wasmgate eval -   # audit what runs now
  kustomize build overlays/prod | wasmgate eval -        # what a kustomization builds
  wasmgate eval --ignore 'test/**' --ignore 'values-*.yaml' repo/
  helm template chart/ | wasmgate eval - -o github       # annotations in a GitHub Actions job
  wasmgate eval -o sarif manifests/ > wasmgate.sarif     # for code scanning
  wasmgate eval --operation DELETE --user alice ns.yaml
  wasmgate eval --show-request pod.yaml | curl --cacert tls.crt -H 'Content-Type: application/json' --data-binary @- https://localhost:8443/validate`,
    )
    .action(async (paths: string[], flags: EvalFlags) => {
      try {
        io.setExitCode(await runEval(paths, flags, io, openEngine));
      } catch (err) {
        io.stderr.write(`wasmgate eval: ${describeThrown(err)}\n`);
        io.setExitCode(usageExit);
      }
    });
}
