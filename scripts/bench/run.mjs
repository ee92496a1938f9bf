#!/usr/bin/env node
// `npm run bench [-- W1 W2 ...] [--quick]`: builds what it needs, runs the workloads against the real
// peers (OPA, conftest) on this machine, and writes results as JSON and a markdown table.
// Every figure that matters is a ratio of two programs measured in the same run; see README "Benchmarks".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load, machine, waitForQuiet } from './lib/machine.mjs';
import { opa, tool, tryTool } from './lib/peers.mjs';
import { cacheDir, resultsDir, root, workDir } from './lib/paths.mjs';
import { preparePolicy } from './lib/policy.mjs';
import { pinning } from './lib/proc.mjs';
import { renderMarkdown } from './lib/report.mjs';

const workloads = {
  W1: { file: './workloads/w1.mjs', fn: 'runW1', needs: ['opaload?'] },
  W2: { file: './workloads/w2.mjs', fn: 'runW2', needs: ['vegeta'] },
  W3: { file: './workloads/w3.mjs', fn: 'runW3', needs: ['opaload'] },
  W4: { file: './workloads/w4.mjs', fn: 'runW4', needs: ['conftest', 'rusage'] },
  W5: { file: './workloads/w5.mjs', fn: 'runW5', needs: ['vegeta'] },
};

const usage = `usage: npm run bench -- [W1 W2 W3 W4 W5] [--quick] [--out DIR] [--no-build] [--wait-quiet[=MINUTES]]

  W1..W5         workloads to run (default: all)
  --quick        small counts and short runs, for development (all five in under 3 minutes)
  --out DIR      write results.json and results.md there (default: bench/results/latest.* for a full run,
                 merged with the workloads of the previous full run when only some are run;
                 bench/results/tmp/quick.* for --quick)
  --no-build     use dist/ and wasm/ as they are instead of running npm run build first
  --wait-quiet   first wait (at most MINUTES, default 30) for the 1-minute load average to stay below
                 0.7 for a minute; the load is recorded in the results either way`;

function parseArgs(argv) {
  const opts = { selected: [], mode: 'full', build: true, out: undefined, waitQuiet: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (/^w[1-5]$/i.test(arg)) opts.selected.push(arg.toUpperCase());
    else if (arg === '--quick') opts.mode = 'quick';
    else if (arg === '--smoke') opts.mode = 'smoke';
    else if (arg === '--no-build') opts.build = false;
    else if (arg === '--out') opts.out = resolve(argv[++i] ?? '');
    else if (arg.startsWith('--out=')) opts.out = resolve(arg.slice(6));
    else if (arg === '--wait-quiet') opts.waitQuiet = 30;
    else if (arg.startsWith('--wait-quiet=')) opts.waitQuiet = Number(arg.slice(13));
    else if (arg === '-h' || arg === '--help') {
      console.log(usage);
      process.exit(0);
    } else {
      console.error(`unknown argument ${arg}\n${usage}`);
      process.exit(2);
    }
  }
  if (opts.selected.length === 0) opts.selected = opts.mode === 'smoke' ? ['W1'] : Object.keys(workloads);
  opts.selected = [...new Set(opts.selected)].sort();
  return opts;
}

const log = (line) => console.error(`[bench] ${line}`);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  if (opts.build) {
    log('npm run build');
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) throw new Error(`npm run build failed (exit ${built.status}); fix it or pass --no-build to use dist/ and wasm/ as they are`);
  }
  for (const needed of ['dist/engine/index.js', 'wasm/policy.wasm', 'wasm/data.json']) {
    if (!existsSync(join(root, needed))) throw new Error(`${needed} is missing: run npm run build first`);
  }

  let quiet;
  if (opts.waitQuiet > 0) {
    const waitStarted = Date.now();
    quiet = await waitForQuiet({ maxMinutes: opts.waitQuiet, log });
    quiet.waitedSeconds = Math.round((Date.now() - waitStarted) / 1000);
  }
  const runStarted = Date.now();

  const work = join(workDir, `${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const ctx = {
    root,
    work,
    mode: opts.mode,
    log,
    opa: await opa(log),
    policy: preparePolicy(),
    pinning: pinning(),
  };

  const results = {
    schema: 1,
    date: new Date().toISOString(),
    mode: opts.mode,
    machine: machine(),
    load: { start: load(), waitedForQuiet: quiet },
    pinning: ctx.pinning.pinned ? ctx.pinning.why : `not pinned: ${ctx.pinning.why}`,
    versions: { node: process.version, opa: ctx.opa.version },
    workloads: {},
  };

  for (const id of opts.selected) {
    const spec = workloads[id];
    const wStarted = Date.now();
    log(`${id} starting (load ${load().join(' ')})`);
    let result;
    try {
      for (const need of spec.needs) {
        const optional = need.endsWith('?');
        const name = need.replace('?', '');
        if (ctx[name]) continue;
        const found = optional ? tryTool(name, log, { build: opts.mode !== 'smoke' }) : tool(name, log);
        ctx[name] = found;
        if (found.version) results.versions[name] = found.version;
      }
      const mod = await import(spec.file);
      result = await mod[spec.fn](ctx);
    } catch (err) {
      log(`${id} failed: ${err.stack ?? err}`);
      result = { id, skipped: `failed: ${err.message.split('\n')[0]}` };
    }
    result.seconds = Math.round((Date.now() - wStarted) / 100) / 10;
    result.date = new Date().toISOString();
    result.load = load();
    results.workloads[id] = result;
    log(`${id} done in ${result.seconds} s${result.skipped ? ` (skipped: ${result.skipped})` : ''}`);
  }
  results.load.end = load();
  // The run itself, without the build and the wait for a quiet machine.
  results.seconds = Math.round((Date.now() - runStarted) / 100) / 10;

  const { jsonFile, mdFile, merged } = writeResults(results, opts);
  log(`results: ${jsonFile}, ${mdFile}${merged ? ' (merged with the previous full run)' : ''}; ${results.seconds} s of workloads, ${Math.round((Date.now() - started) / 1000)} s in all`);
  rmSync(work, { recursive: true, force: true });
  if (Object.values(results.workloads).some((w) => w.skipped?.startsWith('failed'))) process.exitCode = 1;
}

function writeResults(results, opts) {
  let dir = opts.out;
  let base = 'results';
  let merged = false;
  let out = results;
  if (!dir) {
    dir = opts.mode === 'full' ? resultsDir : join(resultsDir, 'tmp');
    base = opts.mode === 'full' ? 'latest' : opts.mode;
    const previous = join(dir, `${base}.json`);
    if (opts.mode === 'full' && opts.selected.length < Object.keys(workloads).length && existsSync(previous)) {
      // A partial full run replaces its own workloads and keeps the others (each keeps its own date).
      const old = JSON.parse(readFileSync(previous, 'utf8'));
      out = {
        ...results,
        versions: { ...old.versions, ...results.versions },
        mergedInto: old.mergedInto ?? { date: old.date, seconds: old.seconds, commit: old.machine?.commit, load: old.load },
        rerun: opts.selected,
        workloads: { ...old.workloads, ...results.workloads },
      };
      out.workloads = Object.fromEntries(Object.keys(workloads).filter((id) => out.workloads[id]).map((id) => [id, out.workloads[id]]));
      merged = true;
    }
  }
  mkdirSync(dir, { recursive: true });
  const jsonFile = join(dir, `${base}.json`);
  const mdFile = join(dir, `${base}.md`);
  writeFileSync(jsonFile, `${JSON.stringify(out, null, 2)}\n`);
  writeFileSync(mdFile, renderMarkdown(out));
  if (!opts.out && opts.mode === 'full') {
    const archive = join(resultsDir, 'tmp');
    mkdirSync(archive, { recursive: true });
    const stamp = results.date.replace(/[:.]/g, '-');
    writeFileSync(join(archive, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
  }
  return { jsonFile, mdFile, merged };
}

main().catch((err) => {
  log(err.message);
  process.exitCode = 1;
});

export { cacheDir };
