// The webhook servers, started the same way: same certificate (ECDSA P-256, made here), same loopback
// address, same CPU (when pinned), their default log levels, output to a file. Besides wasmgate and OPA,
// the floor: a raw Node HTTPS server that parses the body and answers a fixed review (floor-server.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './paths.mjs';
import { freePort, startProcess, waitForServer } from './proc.mjs';

/** One certificate for both servers: ECDSA P-256 from openssl, or (without openssl) selfsigned's RSA pair. */
export async function certificate(ctx) {
  const dir = join(ctx.work, 'tls');
  const cert = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  if (existsSync(cert)) return { cert, key };
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    const { generate } = await import(join(ctx.root, 'node_modules', 'selfsigned', 'index.js'));
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { days: 2, extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] });
    writeFileSync(cert, pems.cert);
    writeFileSync(key, pems.private);
  }
  return { cert, key };
}

/**
 * Starts `which` ('wasmgate', 'opa' or 'floor') and waits until it answers `probe` with 200. Returns
 * {name, url, pid, stop()}; `name` (default `which`) tells apart two servers of one program.
 */
export async function startServer(which, ctx, { cpus, probe, env = {}, extraArgs = [], name = which }) {
  const { cert, key } = await certificate(ctx);
  const port = await freePort();
  const logFile = join(ctx.work, `${name}-${port}.log`);
  let proc;
  let url;
  if (which === 'wasmgate') {
    url = `https://127.0.0.1:${port}/validate`;
    // With the heap flags `npm start` and the image run it with.
    const { serveNodeFlags } = await import(join(ctx.root, 'dist', 'config', 'node-flags.js'));
    proc = startProcess(process.execPath, [
      ...serveNodeFlags, join(ctx.root, 'dist', 'cli', 'main.js'), 'serve', '--host', '127.0.0.1', '--port', String(port),
      '--tls-cert-file', cert, '--tls-key-file', key, '--no-watch', ...extraArgs,
    ], { cpus, logFile, env, cwd: ctx.root });
  } else if (which === 'floor') {
    url = `https://127.0.0.1:${port}/validate`;
    proc = startProcess(process.execPath, [join(benchDir, 'lib', 'floor-server.mjs'), cert, key, String(port)], { cpus, logFile, env, cwd: ctx.work });
  } else {
    url = `https://127.0.0.1:${port}/`;
    proc = startProcess(ctx.opa.path, [
      'run', '--server', '--disable-telemetry', '--addr', `127.0.0.1:${port}`,
      '--tls-cert-file', cert, '--tls-private-key-file', key,
      ctx.policy.rego, ctx.policy.data, ctx.policy.opaServer, ...extraArgs,
    ], { cpus, logFile, env, cwd: ctx.work });
  }
  try {
    const first = await waitForServer(url, probe, { child: proc.child, timeoutMs: 60_000 });
    return { name, url, pid: proc.pid, stop: () => proc.stop(), output: proc.output, first };
  } catch (err) {
    await proc.stop();
    throw new Error(`${which} server did not start: ${err.message}\n${proc.output().slice(-1500)}`);
  }
}

export function writeBodies(work, reviews, prefix) {
  return reviews.map((review, i) => {
    const file = join(work, `${prefix}-${i}.json`);
    writeFileSync(file, typeof review === 'string' ? review : JSON.stringify(review));
    return file;
  });
}
