import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { describeThrown } from '../../errors.js';
import { formatFiles, formattedText, unformattedFiles } from '../../toolchain/fmt.js';
import { resolveOpa } from '../../toolchain/opa.js';
import { processIO, type CommandIO } from '../io.js';
import { unifiedDiff } from '../unified-diff.js';

interface FmtFlags {
  check: boolean;
  diff: boolean;
}

const exit = { ok: 0, unformatted: 1, usage: 2 } as const;

async function runFmt(paths: string[], flags: FmtFlags, io: CommandIO): Promise<number> {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    io.stderr.write(`wasmgate fmt: no such file or directory: ${missing.join(', ')}\n`);
    return exit.usage;
  }
  const opa = resolveOpa((line) => io.stderr.write(`wasmgate: ${line}\n`));
  const unformatted = await unformattedFiles(opa, paths);
  const shown = (file: string) => relative(process.cwd(), file) || file;
  if (unformatted.length === 0) {
    io.stderr.write(`wasmgate fmt: every .rego file in ${paths.join(', ')} is formatted\n`);
    return exit.ok;
  }
  if (flags.diff) {
    for (const file of unformatted) {
      io.stdout.write(unifiedDiff(readFileSync(file, 'utf8'), await formattedText(opa, file), `${shown(file)}`, `${shown(file)} (opa fmt)`));
    }
  } else if (flags.check) {
    io.stdout.write(unformatted.map((file) => `${shown(file)}\n`).join(''));
  }
  if (flags.diff || flags.check) {
    io.stderr.write(`wasmgate fmt: ${unformatted.length} file(s) not formatted; "wasmgate fmt ${paths.join(' ')}" formats them\n`);
    return exit.unformatted;
  }
  await formatFiles(opa, unformatted);
  io.stdout.write(unformatted.map((file) => `formatted ${shown(file)}\n`).join(''));
  return exit.ok;
}

export function registerFmt(program: Command, io: CommandIO = processIO): void {
  program
    .command('fmt')
    .description('format Rego as the build requires, with the pinned OPA (opa fmt), rewriting the files')
    .argument('[paths...]', '.rego files or directories holding them', ['policies'])
    .option('--check', 'change nothing: list the files that are not formatted (exit 1 if any)', false)
    .option('--diff', 'change nothing: show what formatting would change, as a unified diff (exit 1 if anything)', false)
    .addHelpText('after', '\nExit codes: 0 formatted (or nothing to do), 1 with --check/--diff: files are not formatted, 2 usage error or Rego that does not parse.')
    .action(async (paths: string[], flags: FmtFlags) => {
      try {
        io.setExitCode(await runFmt(paths, flags, io));
      } catch (err) {
        io.stderr.write(`wasmgate fmt: ${describeThrown(err)}\n`);
        io.setExitCode(exit.usage);
      }
    });
}
