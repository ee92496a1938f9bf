// W4 — offline: `wasmgate eval` against `conftest test` (with a thin adapter wrapping each manifest
// into the same input.request) on generated manifests of mixed kinds, about one in six violating,
// as YAML files of 10 documents. Wall time, documents per second, peak RSS, and the large/small
// time ratio (≈ 10 when the cost is per document rather than per run).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestCorpus } from '../lib/inputs.mjs';
import { run } from '../lib/proc.mjs';
import { ratio, round } from '../lib/stats.mjs';

export const id = 'W4';
export const title = 'offline: wasmgate eval vs conftest test';

function settings(mode) {
  if (mode === 'quick') return { sizes: [100, 1_000], repeats: [1, 1] };
  return { sizes: [1_000, 10_000], repeats: [3, 1] };
}

async function corpus(ctx, count) {
  const yaml = (await import(join(ctx.root, 'node_modules', 'js-yaml', 'dist', 'js-yaml.mjs'))).default;
  const dir = join(ctx.work, `w4-${count}`);
  mkdirSync(dir, { recursive: true });
  const docs = manifestCorpus(count);
  for (let i = 0; i < docs.length; i += 10) {
    const text = docs.slice(i, i + 10).map((d) => yaml.dump(d, { lineWidth: -1 })).join('---\n');
    writeFileSync(join(dir, `manifests-${String(i / 10).padStart(5, '0')}.yaml`), text);
  }
  return dir;
}

/** Runs a command under the rusage helper, its output to a file; returns the helper's figures. */
async function measured(ctx, command, args, outFile) {
  const r = await run(ctx.rusage.path, [command, ...args], { stdoutFile: outFile, timeoutMs: 900_000, cwd: ctx.work });
  const line = r.stderr.trim().split('\n').reverse().find((l) => l.startsWith('{"'));
  if (!line) throw new Error(`${command} gave no measurement: ${r.stderr.slice(0, 400)}`);
  const m = JSON.parse(line);
  if (m.exitCode > 1) throw new Error(`${command} ${args.join(' ')} failed with exit ${m.exitCode}: ${r.stderr.slice(0, 600)}`);
  return m;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function summarizeRuns(runs, documents) {
  const wallMs = median(runs.map((r) => r.wallMs));
  return {
    runs: runs.length,
    wallMs: round(wallMs, 0),
    documentsPerSecond: round((documents * 1000) / wallMs, 0),
    cpuMs: round(median(runs.map((r) => r.userMs + r.sysMs)), 0),
    peakRssMiB: round(Math.max(...runs.map((r) => r.maxRssKiB)) / 1024, 1),
  };
}

/** Denied documents, from each tool's JSON: wasmgate's summary; conftest's deny messages by object. */
function deniedByWasmgate(file) {
  return JSON.parse(readFileSync(file, 'utf8')).summary?.denied;
}

function deniedByConftest(file) {
  const objects = new Set();
  for (const result of JSON.parse(readFileSync(file, 'utf8'))) {
    for (const failure of result.failures ?? []) objects.add(/^\[[^\]]+\] (\S+ \S+?):/.exec(failure.msg)?.[1] ?? failure.msg);
  }
  return objects.size;
}

export async function runW4(ctx) {
  const s = settings(ctx.mode);
  const rows = [];
  for (const count of s.sizes) {
    const dir = await corpus(ctx, count);
    const oursOut = join(ctx.work, `w4-wasmgate-${count}.json`);
    const theirsOut = join(ctx.work, `w4-conftest-${count}.json`);
    const ours = [];
    const theirs = [];
    for (let i = 0; i < s.repeats[s.sizes.indexOf(count)]; i++) {
      ours.push(await measured(ctx, process.execPath, [join(ctx.root, 'dist', 'cli', 'main.js'), 'eval', '-o', 'json', '--no-progress', dir], oursOut));
      theirs.push(await measured(ctx, ctx.conftest.path, ['test', '--no-color', '-o', 'json', '-p', ctx.policy.rego, '-p', ctx.policy.conftest, '--data', ctx.policy.data, dir], theirsOut));
    }
    const a = summarizeRuns(ours, count);
    const b = summarizeRuns(theirs, count);
    const denied = { wasmgate: deniedByWasmgate(oursOut), conftest: deniedByConftest(theirsOut) };
    ctx.log(`W4 ${count} documents: wasmgate ${a.wallMs} ms, conftest ${b.wallMs} ms; denied ${denied.wasmgate} vs ${denied.conftest}`);
    rows.push({ documents: count, files: Math.ceil(count / 10), wasmgate: a, conftest: b, denied, agree: denied.wasmgate === denied.conftest, ratios: { wall: ratio(a.wallMs, b.wallMs), cpu: ratio(a.cpuMs, b.cpuMs), peakRss: ratio(a.peakRssMiB, b.peakRssMiB) } });
  }
  const scale = (who) => round(rows[1][who].wallMs / rows[0][who].wallMs, 2);
  return { id, title, settings: s, rows, scaling: { wasmgate: scale('wasmgate'), conftest: scale('conftest'), expected: round(s.sizes[1] / s.sizes[0], 0) } };
}
