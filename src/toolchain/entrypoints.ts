import { join } from 'node:path';
import { entrypoints, prepareEntrypoint } from '../engine/bundle.js';
import { packageRoot } from '../paths.js';

/** The entrypoints every policy directory must provide: whatever the engine evaluates. */
export const requiredEntrypoints: readonly string[] = Object.values(entrypoints);

/** Entrypoints compiled when the policy directory defines them. */
export const optionalEntrypoints: readonly string[] = [prepareEntrypoint];

/** The host's own module, compiled beside every policy directory: it defines the envelope entrypoint. */
export const envelopeModule = join(packageRoot, 'src', 'toolchain', 'envelope.rego');

/** "wasmgate/main/decision" → "data.wasmgate.main.decision", the rule a policy author writes. */
export function ruleOf(entrypoint: string): string {
  return `data.${entrypoint.split('/').join('.')}`;
}

/** "data.wasmgate.main.decision and data.wasmgate.main.config_errors", for help texts and messages. */
export function describeRules(list: readonly string[] = requiredEntrypoints): string {
  const rules = list.map(ruleOf);
  return rules.length <= 1 ? (rules[0] ?? '') : `${rules.slice(0, -1).join(', ')} and ${rules[rules.length - 1]}`;
}
