#!/usr/bin/env node
// Soak test of the real `wasmgate serve` (not part of npm test): for --minutes (default 10) several
// keep-alive clients send a mix of reviews (every fixture of policies/*/*/fixtures and test/fixtures:
// allowed, warned, denied; slow Pods of 40 containers; oversized Pods past config.bounds) and bad
// requests (not JSON, a corrupt gzip body, a wrong Content-Type, a made-up kind), each with the API
// server's ?timeout=3s. A third of
// the way in the data file is rewritten and the server gets SIGHUP (a policy reload); halfway the
// serving certificate is rotated through a kubelet-style ..data symlink swap. Every answer is checked
// against the in-process engine's decision for the same input. At the end: SIGTERM, exit 0 expected.
//
// Reports: answered, unanswered (transport errors), wrong (an answer that is neither the engine's
// decision nor the failure policy's fail-closed answer), failed closed (timeouts or shed: allowed:
// false, status 500, saying so; those the policy would have allowed counted apart), latency, and the server's RSS per
// minute; memory is flat when the last third of the run reaches no new high (its highest per-minute
// median RSS within 10 % or 16 MiB of the highest before it). Exits 1 unless there are 0 unanswered, 0 wrong and flat memory.
//
//   npm run build && node scripts/soak.mjs [--minutes 10] [--clients 4] [--workers 2]
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { generate } from 'selfsigned';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { loadBundle, PolicyEvaluator, readDataFile } = await import(join(root, 'dist', 'engine', 'index.js'));
const { decisionResponse } = await import(join(root, 'dist', 'admission', 'respond.js'));
const { loadFixtures, projectFixtureDirs } = await import(join(root, 'dist', 'harness', 'fixtures.js'));
const { reviewFor } = await import(join(root, 'dist', 'admission', 'synthesize.js'));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const minutes = option('minutes', 10);
const clients = option('clients', 4);
const workers = option('workers', 2);
const runMs = minutes * 60_000;
const log = (text) => console.error(`soak ${new Date().toISOString().slice(11, 19)} ${text}`);

// --- certificates, laid out as the kubelet mounts a Secret -------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'wasmgate-soak-'));
const caPems = await generate([{ name: 'commonName', value: 'soak CA' }], {
  keyType: 'ec',
  algorithm: 'sha256',
  extensions: [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
  ],
});
const leaf = (name) =>
  generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: caPems.private, cert: caPems.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
const mount = join(dir, 'tls');
mkdirSync(mount);
let version = 0;
function project(pems) {
  const target = `..v${++version}`;
  mkdirSync(join(mount, target));
  writeFileSync(join(mount, target, 'tls.crt'), pems.cert);
  writeFileSync(join(mount, target, 'tls.key'), pems.private);
  symlinkSync(target, join(mount, '..data_tmp'));
  renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
}
const first = await leaf('soak webhook 1');
project(first);
symlinkSync('..data/tls.crt', join(mount, 'tls.crt'));
symlinkSync('..data/tls.key', join(mount, 'tls.key'));
const dataFile = join(dir, 'data.yaml');
copyFileSync(join(root, 'deploy', 'data.yaml'), dataFile);

// --- inputs and their expected answers ------------------------------------------------------------
const evaluator = new PolicyEvaluator(await loadBundle(join(root, 'wasm')), { data: readDataFile(dataFile) });
const fixtures = await loadFixtures(projectFixtureDirs(root));
const container = (i, caps) => ({
  name: `c${i}`,
  image: `docker.io/library/nginx:${i}`,
  env: Array.from({ length: 20 }, (_, j) => ({ name: `E${j}`, value: 'v' })),
  securityContext: { capabilities: { add: Array.from({ length: caps }, (_, k) => `CAP_${k}`) } },
  resources: { limits: { cpu: '1', memory: '1Gi' } },
});
const pod = (name, containers) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' }, spec: { containers } });
const reviews = [
  ...fixtures.cases.map((c) => ({ kind: 'fixture', review: c.review })),
  { kind: 'slow', review: reviewFor(pod('slow', Array.from({ length: 40 }, (_, i) => container(i, 50))), { uid: 'x', user: 'soak' }) },
  { kind: 'oversized', review: reviewFor(pod('oversized', [container(0, 10_000)]), { uid: 'x', user: 'soak' }) },
].map((input) => ({ ...input, decision: evaluator.decide(input.review) }));
log(`${reviews.length} reviews (${fixtures.cases.length} fixtures, a slow Pod, an oversized Pod) and 4 kinds of bad request`);

const badRequests = [
  { kind: 'bad:not-json', body: '{"apiVersion": ', headers: {}, status: 400 },
  { kind: 'bad:corrupt-gzip', body: gzipSync('{"a":1}').subarray(0, 12), headers: { 'content-encoding': 'gzip' }, status: 400 },
  { kind: 'bad:content-type', body: '{}', headers: { 'content-type': 'text/plain' }, status: 415 },
  { kind: 'bad:made-up-kind', body: JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'Pod'.repeat(1000) }), headers: {}, status: 400 },
];

// --- the server -------------------------------------------------------------------------------------
const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const serverLog = join(dir, 'server.log');
const server = spawn(
  process.execPath,
  [
    join(root, 'dist', 'cli', 'main.js'), 'serve', '--bundle', join(root, 'wasm'), '--data-file', dataFile,
    '--tls-cert-file', join(mount, 'tls.crt'), '--tls-key-file', join(mount, 'tls.key'),
    '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers), '--log-level', 'warn',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
const serverLines = [];
let stdoutRest = '';
server.stdout.on('data', (chunk) => {
  const text = stdoutRest + chunk.toString();
  const lines = text.split('\n');
  stdoutRest = lines.pop();
  for (const line of lines) if (line) serverLines.push(line);
});
let stderr = '';
server.stderr.on('data', (c) => (stderr += c.toString()));
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve(code ?? signal)));
process.on('exit', () => server.exitCode === null && server.kill('SIGKILL'));

const ca = Buffer.from(caPems.cert);
function send(agent, path, body, headers) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', agent: agent ?? false, ca, headers }, (res) => {
      const fingerprint = res.socket.getPeerCertificate().fingerprint256;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString(), ms: performance.now() - t0, fingerprint }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
for (let i = 0; ; i++) {
  const ready = await send(undefined, '/readyz').catch(() => undefined);
  if (ready?.status === 200) break;
  if (i > 600 || server.exitCode !== null) throw new Error(`the server did not become ready:\n${stderr}`);
  await new Promise((r) => setTimeout(r, 100));
}
log(`wasmgate serve on 127.0.0.1:${port}, ${workers} workers; ${clients} clients for ${minutes} min`);

// --- load -------------------------------------------------------------------------------------------
const counts = { answered: 0, unanswered: 0, wrong: 0, failedClosed: 0, failedClosedAllowed: 0, late: 0 };
const byKind = new Map();
const latencies = [];
const problems = [];
const note = (what) => problems.length < 20 && problems.push(what);
const start = Date.now();
let stop = false;
let uid = 0;

function expected(input, id) {
  return JSON.stringify(decisionResponse({ apiVersion: input.review.apiVersion, uid: id }, input.decision));
}

async function client(n) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  for (let i = 0; !stop; i++) {
    const useBad = i % 10 === 9;
    const pick = useBad ? badRequests[(i + n) % badRequests.length] : reviews[(i * 7 + n) % reviews.length];
    const id = `soak-${n}-${++uid}`;
    const body = useBad ? pick.body : JSON.stringify({ ...pick.review, request: { ...pick.review.request, uid: id } });
    const headers = { 'content-type': 'application/json', ...(useBad ? pick.headers : {}) };
    const kind = pick.kind;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    let reply;
    try {
      reply = await send(agent, '/validate?timeout=3s', body, headers);
    } catch (err) {
      counts.unanswered++;
      note(`${id} (${kind}): ${err.code ?? err.message}`);
      continue;
    }
    counts.answered++;
    latencies.push(reply.ms);
    if (reply.ms > 3000) counts.late++;
    if (useBad) {
      if (reply.status !== pick.status) {
        counts.wrong++;
        note(`${id} (${kind}): status ${reply.status}, expected ${pick.status}: ${reply.text.slice(0, 200)}`);
      }
      continue;
    }
    const got = reply.status === 200 ? JSON.parse(reply.text) : undefined;
    if (got && JSON.stringify(got) === expected(pick, id)) continue;
    if (got?.response?.uid === id && got.response.allowed === false && got.response.status?.code === 500 && /^wasmgate could not evaluate the policy: .*\(fail closed\)$/.test(got.response.status.message)) {
      // The failure policy's answer (past the deadline or shed on an overloaded machine), said as such:
      // not a wrong decision, but counted, and those the policy would have allowed counted apart.
      counts.failedClosed++;
      if (pick.decision.allowed) counts.failedClosedAllowed++;
      continue;
    }
    counts.wrong++;
    note(`${id} (${kind}): ${reply.status} ${reply.text.slice(0, 300)}`);
  }
  agent.destroy();
}

const rss = [];
const sampler = setInterval(() => {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]);
    rss.push({ t: Date.now() - start, mib: kb / 1024 });
  } catch {
    // The server is gone; the end of the run says so.
  }
}, 5000);

const events = [];
const load = Promise.all(Array.from({ length: clients }, (_, n) => client(n)));
await new Promise((r) => setTimeout(r, runMs / 3));
writeFileSync(`${dataFile}.tmp`, `${readFileSync(dataFile, 'utf8')}\n# rewritten by the soak\n`);
renameSync(`${dataFile}.tmp`, dataFile);
server.kill('SIGHUP');
events.push(`${Math.round((Date.now() - start) / 1000)} s: data file rewritten and SIGHUP (policy reload)`);
log(events.at(-1));
await new Promise((r) => setTimeout(r, runMs / 2 - runMs / 3));
const second = await leaf('soak webhook 2');
project(second);
const secondFingerprint = new X509Certificate(second.cert).fingerprint256;
let rotated = false;
for (let i = 0; i < 100 && !rotated; i++) {
  await new Promise((r) => setTimeout(r, 100));
  rotated = (await send(undefined, '/readyz').catch(() => undefined))?.fingerprint === secondFingerprint;
}
events.push(`${Math.round((Date.now() - start) / 1000)} s: serving certificate rotated (..data swap): ${rotated ? 'new connections get the new certificate' : 'NOT SEEN'}`);
log(events.at(-1));
await new Promise((r) => setTimeout(r, start + runMs - Date.now()));
stop = true;
await load;
clearInterval(sampler);
const metrics = (await send(undefined, '/metrics')).text;
server.kill('SIGTERM');
const exitCode = await exited;

// --- report -----------------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const quantile = (q) => {
  const s = [...latencies].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
// Per-minute medians; flat when the last third reaches no new high: its highest minute is within 10 %
// (or 16 MiB) of the highest before it. (The reload swaps in fresh workers, whose WASM memory grows
// back to the same plateau, so a dip and a regrowth are expected; a leak makes every third higher.)
const perMinute = [];
for (let m = 0; m < minutes; m++) perMinute.push(median(rss.filter((r) => r.t >= m * 60_000 && r.t < (m + 1) * 60_000).map((r) => r.mib)));
const split = Math.ceil((minutes * 2) / 3);
const before = Math.max(...perMinute.slice(0, split));
const last = Math.max(...perMinute.slice(split));
const flat = last <= before + Math.max(0.1 * before, 16);
writeFileSync(join(dir, 'rss.json'), JSON.stringify(rss));
const metric = (name) => metrics.split('\n').filter((l) => l.startsWith(name)).map((l) => l.replace(/^\S*?(\{.*\})? /, '$1 ').trim());
const reloads = serverLines.filter((l) => /reload/.test(l));
const ok = counts.unanswered === 0 && counts.wrong === 0 && flat && rotated && exitCode === 0;

console.log(`wasmgate soak: ${minutes} min, ${clients} clients, ${workers} workers, ?timeout=3s`);
console.log(`  requests:     ${counts.answered + counts.unanswered} sent: ${counts.answered} answered, ${counts.unanswered} unanswered, ${counts.wrong} wrong, ${counts.failedClosed} failed closed (timeout or shed; ${counts.failedClosedAllowed} of them reviews the policy allows)`);
console.log(`  by kind:      ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`  latency (ms): p50 ${quantile(0.5).toFixed(1)}, p99 ${quantile(0.99).toFixed(1)}, max ${Math.max(...latencies).toFixed(1)}; ${counts.late} answers after 3 s`);
console.log(`  memory (RSS, MiB, median per minute): ${perMinute.map((m) => m.toFixed(0)).join(' ')}; highest minute of the last third ${last.toFixed(0)}, before it ${before.toFixed(0)}: ${flat ? 'flat' : 'GROWING'} (samples: ${join(dir, 'rss.json')})`);
for (const e of events) console.log(`  event:        ${e}`);
console.log(`  server:       ${reloads.length} reload log lines at warn or above; metrics ${metric('wasmgate_reloads_total').join(', ')}; shed ${metric('wasmgate_admission_shed_total').join(', ')}; evaluation errors ${metric('wasmgate_evaluation_errors_total').join(', ') || 'none'}`);
console.log(`  exit:         SIGTERM, exit ${exitCode}; stderr ${stderr === '' ? 'empty' : JSON.stringify(stderr.slice(0, 300))}`);
for (const p of problems) console.log(`  problem:      ${p}`);
console.log(ok ? 'SOAK PASSED' : 'SOAK FAILED');
process.exit(ok ? 0 : 1);
