import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import yaml from 'js-yaml';
import { WasmgateError } from '../errors.js';
import { attributeName, configFileEnv, envName, flagName, optionSpecs, type logLevels, type OptionSpec, type tlsVersions } from './options.js';

export { optionSpecs, flagName, envName, attributeName, configFileEnv, type OptionSpec } from './options.js';

/** The validated settings of `wasmgate serve`. Durations are in milliseconds, sizes in bytes. */
export interface ServeConfig {
  readonly port: number;
  readonly host?: string;
  readonly path: string;
  readonly mutatePath: string;
  readonly bundle: string;
  readonly dataFile?: string;
  readonly gatekeeper?: string;
  readonly gatekeeperOnly: boolean;
  readonly workers: number;
  /** µs: see the spinMicros option. */
  readonly spinMicros: number;
  readonly evalTimeout: number;
  readonly reviewTimeout: number;
  readonly memoryLimit: number;
  readonly failOpen: boolean;
  readonly bodyLimit: number;
  readonly tls: {
    readonly certFile?: string;
    readonly keyFile?: string;
    readonly clientCaFile?: string;
    readonly minVersion: (typeof tlsVersions)[number];
    readonly selfSignedDir?: string;
  };
  /** 0: no limit. */
  readonly maxConnections: number;
  readonly keepAliveTimeout: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly shutdownDelay: number;
  readonly shutdownTimeout: number;
  readonly watch: boolean;
  readonly watchDebounce: number;
  readonly log: { readonly level: (typeof logLevels)[number]; readonly objects: boolean };
  /** The YAML file the settings were read from, if any. */
  readonly configFile?: string;
}

export interface ConfigSources {
  /** Options as commander parsed them (attribute names), strings or booleans. */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface LoadedConfig {
  readonly config: ServeConfig;
  /** Settings that are allowed but probably wrong, for the caller to log. */
  readonly warnings: readonly string[];
}

/** The API server closes idle webhook connections after 90 s; the webhook must not close them first. */
const apiServerIdleTimeoutMs = 90_000;

interface Found {
  readonly value: unknown;
  /** Where it came from, for messages: "--port", "WASMGATE_PORT", "wasmgate.yaml: port". */
  readonly source: string;
  /** Relative paths resolve against this directory. */
  readonly base: string;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Flattens the YAML document to dotted keys, refusing keys no option has. */
function readConfigFile(file: string, errors: string[]): Map<string, unknown> {
  const values = new Map<string, unknown>();
  let doc: unknown;
  try {
    doc = yaml.load(readFileSync(file, 'utf8'), { filename: file });
  } catch (err) {
    errors.push(`config file ${file}: ${(err as Error).message}`);
    return values;
  }
  if (doc === undefined || doc === null) return values;
  if (!isPlainObject(doc)) {
    errors.push(`config file ${file}: expected a mapping of settings at the top level`);
    return values;
  }
  const known = new Set(optionSpecs.map((s) => s.key));
  const sections = new Set([...known].filter((k) => k.includes('.')).map((k) => k.split('.')[0]!));
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix + k;
      if (!prefix && sections.has(k) && isPlainObject(v)) walk(v, `${k}.`);
      else if (known.has(key)) {
        if (v !== null && v !== undefined) values.set(key, v);
      } else errors.push(`config file ${file}: unknown key "${key}" (known keys: ${[...known].join(', ')})`);
    }
  };
  walk(doc, '');
  return values;
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let obj = target;
  for (const part of parts.slice(0, -1)) obj = (obj[part] ??= {}) as Record<string, unknown>;
  obj[parts.at(-1)!] = value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function checkExists(spec: OptionSpec, path: string): string | undefined {
  if (!existsSync(path)) return `${path} does not exist`;
  if (spec.mustExist === 'file' && !statSync(path).isFile()) return `${path} is not a file`;
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    return `${path} cannot be read: ${(err as Error).message}`;
  }
  return undefined;
}

/**
 * Reads the settings of `wasmgate serve` from flags, environment variables and an optional YAML file
 * (in that order of precedence, over the defaults), checks every one, and returns them frozen. All
 * problems are reported at once, each naming its key and where the bad value came from.
 */
export function loadServeConfig(sources: ConfigSources = {}): LoadedConfig {
  const flags = sources.flags ?? {};
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const errors: string[] = [];

  const fileFlag = flags.config;
  const fileSetting = typeof fileFlag === 'string' ? fileFlag : env[configFileEnv] || undefined;
  const configFile = fileSetting === undefined ? undefined : resolve(cwd, fileSetting);
  let fromFile = new Map<string, unknown>();
  if (configFile !== undefined) {
    if (!existsSync(configFile)) errors.push(`config file ${configFile} (${typeof fileFlag === 'string' ? '--config' : configFileEnv}) does not exist`);
    else fromFile = readConfigFile(configFile, errors);
  }

  const find = (spec: OptionSpec): Found | undefined => {
    const flag = flags[attributeName(spec.key)];
    if (flag !== undefined) return { value: flag, source: `--${flagName(spec.key)}`, base: cwd };
    const fromEnv = env[envName(spec.key)];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: envName(spec.key), base: cwd };
    if (fromFile.has(spec.key)) return { value: fromFile.get(spec.key), source: `${configFile}: ${spec.key}`, base: dirname(configFile!) };
    return undefined;
  };

  const result: Record<string, unknown> = {};
  for (const spec of optionSpecs as readonly OptionSpec[]) {
    const found = find(spec);
    if (!found) {
      if (spec.default !== undefined) setPath(result, spec.key, spec.default);
      continue;
    }
    let value: unknown;
    try {
      value = spec.parse(found.value);
    } catch (err) {
      errors.push(`${spec.key} (${found.source}): ${(err as Error).message}`);
      continue;
    }
    if (spec.mustExist) {
      value = resolve(found.base, value as string);
      const problem = checkExists(spec, value as string);
      if (problem) errors.push(`${spec.key} (${found.source}): ${problem}`);
    }
    setPath(result, spec.key, value);
  }
  if (configFile !== undefined) result.configFile = configFile;

  const config = result as unknown as ServeConfig;
  if (errors.length === 0) {
    if ((config.tls.certFile === undefined) !== (config.tls.keyFile === undefined)) {
      errors.push('tls.certFile and tls.keyFile: set both or neither (neither generates a self-signed pair)');
    }
    for (const key of ['path', 'mutatePath'] as const) {
      if (['/healthz', '/readyz', '/metrics'].includes(config[key].replace(/\/+$/, ''))) {
        errors.push(`${key} ${config[key]} is taken by the server's own endpoint of that name: choose another`);
      }
    }
    if (config.path.replace(/\/+$/, '') === config.mutatePath.replace(/\/+$/, '')) {
      errors.push(`path and mutatePath are both ${config.path}: the validating and the mutating endpoint need paths of their own`);
    }
    if (config.gatekeeperOnly && config.gatekeeper === undefined) errors.push('gatekeeperOnly: set gatekeeper too (the directory of templates that decide alone)');
    if (config.requestTimeout < config.headersTimeout) {
      errors.push(`requestTimeout (${config.requestTimeout} ms) must not be shorter than headersTimeout (${config.headersTimeout} ms)`);
    }
  }
  if (errors.length > 0) {
    throw new WasmgateError('CONFIG_INVALID', `invalid configuration:\n  - ${errors.join('\n  - ')}`);
  }

  const warnings: string[] = [];
  if (config.keepAliveTimeout <= apiServerIdleTimeoutMs) {
    warnings.push(
      `keepAliveTimeout is ${config.keepAliveTimeout} ms: the API server keeps idle connections for ${apiServerIdleTimeoutMs} ms, ` +
        'so the webhook may close a connection the API server is about to reuse',
    );
  }
  if (config.tls.certFile !== undefined && config.tls.selfSignedDir !== undefined) {
    warnings.push('tls.selfSignedDir is ignored: tls.certFile and tls.keyFile are set');
  }
  return { config: deepFreeze(config), warnings };
}
