// `wasmgate serve` configuration: flags over environment over file over defaults, every key checked by name.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { attributeName, envName, flagName, loadServeConfig, optionSpecs } from '../../dist/config/index.js';
import { defaultBundleDir } from '../../dist/engine/bundle.js';
import { repoRoot } from '../helpers/policies.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const cert = file('tls.crt', 'x');
const key = file('tls.key', 'x');

t.test('defaults: serve with no flags starts on 8443 with the built policy, failing closed', async (t) => {
  const { config, warnings } = loadServeConfig({ env: {} });
  t.match(config, {
    port: 8443,
    path: '/validate',
    mutatePath: '/mutate',
    bundle: defaultBundleDir,
    failOpen: false,
    bodyLimit: 8 * 1024 * 1024,
    evalTimeout: 2000,
    keepAliveTimeout: 120_000,
    tls: { minVersion: 'TLSv1.2' },
    watch: true,
    log: { level: 'info', objects: false },
  });
  t.ok(config.keepAliveTimeout > 90_000, 'keep-alive outlives the API server\'s 90 s idle timeout');
  t.equal(config.tls.certFile, undefined, 'no certificate: a self-signed one is generated at start');
  t.same(warnings, []);
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.tls), 'frozen');
});

t.test('names: flag, environment variable and file key all derive from one key', async (t) => {
  t.equal(flagName('tls.certFile'), 'tls-cert-file');
  t.equal(envName('tls.certFile'), 'WASMGATE_TLS_CERT_FILE');
  t.equal(attributeName('tls.certFile'), 'tlsCertFile');
  t.equal(envName('bodyLimit'), 'WASMGATE_BODY_LIMIT');
  t.equal(new Set(optionSpecs.map((s) => envName(s.key))).size, optionSpecs.length, 'no two options share a name');
});

t.test('precedence: flags, then environment, then file, then defaults', async (t) => {
  const configFile = file('precedence.yaml', ['port: 9001', 'path: /from-file', 'evalTimeout: 3s', 'log:', '  level: warn', 'bodyLimit: 2MiB'].join('\n'));
  const { config } = loadServeConfig({
    flags: { config: configFile, port: '9003' },
    env: { WASMGATE_PORT: '9002', WASMGATE_PATH: '/from-env' },
  });
  t.equal(config.port, 9003, 'flag beats env and file');
  t.equal(config.path, '/from-env', 'env beats file');
  t.equal(config.evalTimeout, 3000, 'file beats default; durations take units');
  t.equal(config.log.level, 'warn', 'nested keys in the file');
  t.equal(config.bodyLimit, 2 * 1024 * 1024, 'sizes take units');
  t.equal(config.configFile, configFile);
  t.equal(loadServeConfig({ env: { WASMGATE_CONFIG: configFile } }).config.port, 9001, 'the file can come from WASMGATE_CONFIG');
});

t.test('booleans from flags, environment and file', async (t) => {
  t.equal(loadServeConfig({ flags: { failOpen: true }, env: {} }).config.failOpen, true);
  t.equal(loadServeConfig({ flags: { watch: false }, env: { WASMGATE_WATCH: 'true' } }).config.watch, false, '--no-watch');
  t.equal(loadServeConfig({ env: { WASMGATE_LOG_OBJECTS: 'yes' } }).config.log.objects, true);
  t.equal(loadServeConfig({ flags: { config: file('bool.yaml', 'failOpen: true\n') }, env: {} }).config.failOpen, true);
});

t.test('paths in the file resolve against the file\'s directory; files must exist', async (t) => {
  const configFile = file('tls.yaml', 'tls:\n  certFile: tls.crt\n  keyFile: ./tls.key\n');
  const { config } = loadServeConfig({ flags: { config: configFile }, env: {} });
  t.equal(config.tls.certFile, cert);
  t.equal(config.tls.keyFile, key);
});

t.test('every problem is reported at once, naming the key and where the value came from', async (t) => {
  const configFile = file('bad.yaml', ['workers: none', 'tls:', '  certFile: missing.crt', '  minVersion: TLSv1.0', 'colour: blue', 'keepAliveTimeout: 60s'].join('\n'));
  const err = (() => {
    try {
      loadServeConfig({ flags: { config: configFile, port: '99999' }, env: { WASMGATE_BODY_LIMIT: 'lots', WASMGATE_LOG_LEVEL: 'chatty' } });
    } catch (e) {
      return e as Error & { code: string };
    }
    return undefined;
  })();
  t.equal(err?.code, 'CONFIG_INVALID');
  const message = err?.message ?? '';
  t.match(message, /port \(--port\): expected a whole number from 0 to 65535, got 99999/);
  t.match(message, /bodyLimit \(WASMGATE_BODY_LIMIT\): expected a size/);
  t.match(message, /log\.level \(WASMGATE_LOG_LEVEL\): expected one of fatal, error, warn, info, debug, trace, silent, got "chatty"/);
  t.match(message, new RegExp(`workers \\(${configFile}: workers\\): expected a whole number`));
  t.match(message, /tls\.certFile \(.*bad\.yaml: tls\.certFile\): .*missing\.crt does not exist/);
  t.match(message, /tls\.minVersion .*expected one of TLSv1\.2, TLSv1\.3/);
  t.match(message, /unknown key "colour"/);
});

t.test('settings that only make sense together', async (t) => {
  t.throws(() => loadServeConfig({ flags: { tlsCertFile: cert }, env: {} }), { message: /tls\.certFile and tls\.keyFile: set both or neither/ });
  t.throws(() => loadServeConfig({ flags: { path: '/metrics' }, env: {} }), { message: /path \/metrics is taken/ });
  t.throws(() => loadServeConfig({ flags: { path: 'validate' }, env: {} }), { message: /path \(--path\): expected an absolute URL path/ });
  t.throws(() => loadServeConfig({ flags: { mutatePath: '/healthz/' }, env: {} }), { message: /mutatePath \/healthz\/ is taken/ });
  t.throws(() => loadServeConfig({ flags: { mutatePath: '/validate' }, env: {} }), { message: /path and mutatePath are both \/validate: .* need paths of their own/ });
  t.equal(loadServeConfig({ env: { WASMGATE_MUTATE_PATH: '/psp/mutate' } }).config.mutatePath, '/psp/mutate');
  t.throws(() => loadServeConfig({ flags: { headersTimeout: '20s', requestTimeout: '10s' }, env: {} }), { message: /requestTimeout .* must not be shorter than headersTimeout/ });
  const { warnings } = loadServeConfig({ flags: { keepAliveTimeout: '60s' }, env: {} });
  t.match(warnings, [/keepAliveTimeout is 60000 ms: the API server keeps idle connections for 90000 ms/]);
  t.throws(() => loadServeConfig({ flags: { config: join(dir, 'absent.yaml') }, env: {} }), { message: /absent\.yaml \(--config\) does not exist/ });
  t.throws(() => loadServeConfig({ flags: { config: file('list.yaml', '- 1\n') }, env: {} }), { message: /expected a mapping/ });
});

t.test('the README documents every setting', async (t) => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('<!-- section: webhook -->'), readme.indexOf('<!-- /section: webhook -->'));
  for (const spec of optionSpecs) {
    t.ok(section.includes(`\`${envName(spec.key)}\``) && section.includes(`\`--${flagName(spec.key)}\``), `${spec.key} is in the README`);
  }
});
