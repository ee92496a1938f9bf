import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { applyJsonPatch } from '../engine/json-patch.js';
import { parseMutation, type JsonPatchOp } from '../engine/mutation.js';
import { packageRoot } from '../paths.js';
import type { JsonObject, PspCase } from './protocol.js';
import type { OracleResult } from './run.js';
import { dataForCase, reviewForCase, type WasmgateAnswer } from './wasmgate-side.js';

/**
 * The same comparison through wasmgate's real programs, for a sample: `wasmgate serve` (its `/mutate`
 * then `/validate`, as the API server calls them) and `wasmgate eval -o json`. Each program is started
 * with one data file, so a sample shares its PSPs and RBAC.
 */

const cli = join(packageRoot, 'dist', 'cli', 'main.js');
// Without tap's loaders, which would slow every child down.
const childEnv = { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' };

/** Up to `limit` cases that share their PSPs and RBAC: those of the most common set (the article's). */
export function sameDataSample(results: readonly OracleResult[], limit: number): OracleResult[] {
  const usable = results.filter((r) => r.answer.input && !r.answer.invalid && !r.answer.error);
  const key = (c: PspCase) => JSON.stringify([c.policies, c.rbac]);
  const counts = new Map<string, number>();
  for (const r of usable) counts.set(key(r.case), (counts.get(key(r.case)) ?? 0) + 1);
  const common = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const shared = usable.filter((r) => key(r.case) === common);
  // UPDATEs come after all CREATEs in a run; take some of each.
  const updates = shared.filter((r) => r.case.operation === 'UPDATE').slice(0, Math.ceil(limit / 6));
  return [...shared.filter((r) => r.case.operation === 'CREATE').slice(0, limit - updates.length), ...updates];
}

function podSecurityDenials(violations: readonly { policy: string; action: string; message: string }[]) {
  return violations.filter((v) => v.action === 'deny' && v.policy.startsWith('pod-security')).map((v) => ({ policy: v.policy, message: v.message, action: 'deny' as const }));
}

function annotationOf(pod: JsonObject): string | null {
  const annotations = (pod.metadata as { annotations?: Record<string, string> } | undefined)?.annotations;
  return annotations?.['kubernetes.io/psp'] ?? null;
}

interface Review {
  readonly response?: { allowed?: boolean; patch?: string; patchType?: string; status?: { message?: string } };
}

/** A running `wasmgate serve` on a free loopback port with its own self-signed certificate. */
export class ServedWasmgate {
  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    private readonly base: string,
    private readonly ca: Buffer,
    private readonly dir: string,
  ) {}

  static async start(data: JsonObject): Promise<ServedWasmgate> {
    const dir = mkdtempSync(join(tmpdir(), 'wasmgate-diff-serve-'));
    writeFileSync(join(dir, 'data.json'), JSON.stringify(data));
    const args = [cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--workers', '1', '--no-watch', '--data-file', join(dir, 'data.json'), '--tls-self-signed-dir', join(dir, 'tls')];
    const child = spawn(process.execPath, args, { cwd: packageRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-4000)));
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`wasmgate serve exited (code ${String(code)}) before listening: ${log.trim()}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        log = (log + line + '\n').slice(-4000);
        try {
          const entry = JSON.parse(line) as { port?: unknown; url?: unknown };
          if (typeof entry.port === 'number' && typeof entry.url === 'string') resolve(entry.port);
        } catch {
          // not a log line of ours
        }
      });
    });
    return new ServedWasmgate(child, `https://127.0.0.1:${port}`, readFileSync(join(dir, 'tls', 'tls.crt')), dir);
  }

  private post(path: string, body: JsonObject): Promise<Review> {
    return new Promise((resolve, reject) => {
      const bytes = Buffer.from(JSON.stringify(body));
      const req = request(`${this.base}${path}`, { method: 'POST', ca: this.ca, headers: { 'content-type': 'application/json', 'content-length': bytes.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`POST ${path}: HTTP ${String(res.statusCode)}: ${text.slice(0, 300)}`));
          else resolve(JSON.parse(text) as Review);
        });
      });
      req.on('error', reject);
      req.end(bytes);
    });
  }

  private async mutate(c: PspCase, pod: JsonObject, oldPod: JsonObject | undefined): Promise<JsonPatchOp[]> {
    // The MutatingWebhookConfiguration sends pods on CREATE only.
    if (c.operation !== 'CREATE') return [];
    const review = await this.post('/mutate', reviewForCase(c, pod, oldPod));
    if (review.response?.allowed !== true) throw new Error(`/mutate did not allow: ${JSON.stringify(review.response).slice(0, 300)}`);
    if (!review.response.patch) return [];
    if (review.response.patchType !== 'JSONPatch') throw new Error(`/mutate answered patchType ${String(review.response.patchType)}`);
    return [...parseMutation({ patch: JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8')), profile: null }).patch];
  }

  /** /mutate, its patch applied, then /validate: what the API server would do with the case. */
  async evaluate(c: PspCase, pod: JsonObject, oldPod: JsonObject | undefined): Promise<WasmgateAnswer> {
    try {
      const patch = await this.mutate(c, pod, oldPod);
      const patched = applyJsonPatch(pod, patch);
      const validated = await this.post('/validate', reviewForCase(c, patched, oldPod));
      const allowed = validated.response?.allowed === true;
      const secondPatch = await this.mutate(c, patched, oldPod);
      const denials = allowed ? [] : [{ policy: 'pod-security', message: validated.response?.status?.message ?? '', action: 'deny' as const }];
      return { dataErrors: [], allowed, profile: allowed && c.operation === 'CREATE' ? annotationOf(patched) : null, patch, pod: patched, denials, secondPatch };
    } catch (err) {
      return { dataErrors: [], error: (err as Error).message };
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface EvalResult {
  readonly file: string;
  readonly violations: { policy: string; action: string; message: string }[];
  readonly patch: unknown;
  readonly profile: string | null;
}

function runEval(files: readonly string[], dataFile: string, c: PspCase): EvalResult[] {
  const groups = c.userInfo.groups.filter((g) => g !== 'system:authenticated').flatMap((g) => ['--group', g]);
  const run = spawnSync(
    process.execPath,
    [cli, 'eval', '-o', 'json', '--no-progress', '--workers', '1', '--data', dataFile, '--user', c.userInfo.username, ...groups, '--namespace', c.namespace, ...files],
    { cwd: packageRoot, env: childEnv, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (run.status === 2 || run.status === null) throw new Error(`wasmgate eval failed (exit ${String(run.status)}): ${run.stderr.slice(0, 500)}`);
  return (JSON.parse(run.stdout) as { results: EvalResult[] }).results;
}

/**
 * `wasmgate eval -o json` over the CREATE cases of a same-data sample whose user is authenticated (eval
 * always adds system:authenticated), one run per user and namespace (at most `maxRuns` of them); a
 * second run over the patched pods checks that nothing more is patched.
 */
export function evalSample(sample: readonly OracleResult[], defaults: unknown, maxRuns = Infinity): Map<string, WasmgateAnswer> {
  const answers = new Map<string, WasmgateAnswer>();
  const eligible = sample.filter((r) => r.case.operation === 'CREATE' && r.case.userInfo.groups.includes('system:authenticated'));
  if (eligible.length === 0) return answers;
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-diff-eval-'));
  try {
    const dataFile = join(dir, 'data.json');
    writeFileSync(dataFile, JSON.stringify(dataForCase(defaults, eligible[0]!.case)));
    const byRequester = new Map<string, OracleResult[]>();
    for (const r of eligible) {
      const key = JSON.stringify([r.case.userInfo, r.case.namespace]);
      byRequester.set(key, [...(byRequester.get(key) ?? []), r]);
    }
    for (const group of [...byRequester.values()].slice(0, maxRuns)) {
      const first = group[0]!.case;
      const files = group.map((r, i) => {
        const file = join(dir, `sent-${i}-${r.case.id}.json`);
        writeFileSync(file, JSON.stringify(r.answer.input));
        return file;
      });
      const results = new Map(runEval(files, dataFile, first).map((e) => [e.file, e]));
      const patchedPods = group.map((r, i) => {
        const e = results.get(files[i]!);
        if (!e) return undefined;
        const patch = parseMutation({ patch: e.patch, profile: e.profile }).patch;
        return { patch, pod: applyJsonPatch(r.answer.input!, patch), e };
      });
      const againFiles = patchedPods.map((p, i) => {
        const file = join(dir, `patched-${i}-${group[i]!.case.id}.json`);
        writeFileSync(file, JSON.stringify(p?.pod ?? {}));
        return file;
      });
      const again = new Map(runEval(againFiles, dataFile, first).map((e) => [e.file, e]));
      group.forEach((r, i) => {
        const p = patchedPods[i];
        const second = again.get(againFiles[i]!);
        if (!p || !second) {
          answers.set(r.case.id, { dataErrors: [], error: 'wasmgate eval gave no result for the document' });
          return;
        }
        const denials = podSecurityDenials(p.e.violations);
        answers.set(r.case.id, {
          dataErrors: [],
          allowed: denials.length === 0,
          profile: p.e.profile,
          patch: p.patch,
          pod: p.pod,
          denials,
          secondPatch: parseMutation({ patch: second.patch, profile: second.profile }).patch,
        });
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return answers;
}
