#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerEval } from './commands/eval.js';
import { registerFmt } from './commands/fmt.js';
import { registerNew } from './commands/new.js';
import { registerPolicies } from './commands/policies.js';
import { registerServe } from './commands/serve.js';
import { registerTest } from './commands/test.js';
import { registerVerify } from './commands/verify.js';
import { toleratePipeClose } from './io.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };

/** Exit codes: 0 success, 1 something was denied (or a test failed), 2 usage or input error. */
export const exitCodes = { ok: 0, denied: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command()
    .name('wasmgate')
    .description('Kubernetes admission policies in Rego, compiled to WebAssembly: webhook, offline evaluator, policy tests')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServe(program);
  registerEval(program);
  registerTest(program);
  registerFmt(program);
  registerVerify(program);
  registerPolicies(program);
  registerNew(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end as "errors" under exitOverride; they are successes.
      process.exitCode = err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
      return;
    }
    process.stderr.write(`wasmgate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = exitCodes.usage;
  }
}

toleratePipeClose();
await main(process.argv);
