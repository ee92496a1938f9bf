import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { describeThrown } from '../../errors.js';
import { parseNewPolicyId, scaffoldActions, scaffoldFiles, type ScaffoldAction } from '../../policies/scaffold.js';
import { processIO, type CommandIO } from '../io.js';

interface NewPolicyFlags {
  action: ScaffoldAction;
  dir: string;
}

const exit = { ok: 0, usage: 2 } as const;

function policyId(value: string): string {
  const parsed = parseNewPolicyId(value);
  if ('problem' in parsed) throw new InvalidArgumentError(`${parsed.problem}.`);
  return value;
}

async function runNewPolicy(id: string, flags: NewPolicyFlags, io: CommandIO): Promise<number> {
  const { family, name } = parseNewPolicyId(id) as { family: string; name: string };
  const dir = resolve(flags.dir);
  const shown = (path: string) => relative(process.cwd(), path) || '.';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    io.stderr.write(`wasmgate new policy: the policy directory ${flags.dir} does not exist (run in a wasmgate checkout, or give --dir)\n`);
    return exit.usage;
  }
  const folder = join(dir, family, name);
  if (existsSync(folder)) {
    io.stderr.write(`wasmgate new policy: ${shown(folder)} already exists: edit that policy, or pick another id\n`);
    return exit.usage;
  }
  // Loaded when it runs, so that --help starts fast.
  const [{ readCatalogue }, { resolveOpa }] = await Promise.all([import('../../policies/catalogue.js'), import('../../toolchain/opa.js')]);
  const catalogue = await readCatalogue(dir, resolveOpa((line) => io.stderr.write(`wasmgate: ${line}\n`)));
  const clash = catalogue.find((e) => e.id === id || e.rules.some((r) => r.id === id) || e.package === `wasmgate.policies.${family}.${name}`);
  if (clash) {
    const what = clash.id === id ? 'the id of' : clash.package === `wasmgate.policies.${family}.${name}` ? 'the package of' : 'a finding id of';
    io.stderr.write(`wasmgate new policy: ${id} is already ${what} ${clash.package} (${shown(join(dir, clash.file))}): pick another id\n`);
    return exit.usage;
  }
  const files = scaffoldFiles({ family, name, action: flags.action });
  for (const [file, text] of Object.entries(files)) {
    const path = join(folder, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { flag: 'wx' });
    io.stdout.write(`created ${shown(path)}\n`);
  }
  io.stdout.write(
    `\nNext: replace the example rule in ${shown(join(folder, `${name}.rego`))} (and its METADATA: title, description, remediation, data),\n` +
      `its tests and fixtures, then run "wasmgate test" (in a checkout: npm test). Its action is ${flags.action}; ` +
      `config.enforcement["${id}"] in data.yaml overrides it.\n`,
  );
  return exit.ok;
}

export function registerNew(program: Command, io: CommandIO = processIO): void {
  const command = program.command('new').description('scaffold something new: wasmgate new policy <id>');
  command
    .command('policy')
    .description('scaffold a policy folder <family>/<name>/: METADATA, an example rule, its Rego test and fixtures, green in wasmgate test at once')
    .argument('<id>', 'the policy id, <family>.<name> (Rego identifiers: lowercase letters, digits, _), e.g. labels.team', policyId)
    .addOption(new Option('--action <action>', 'the default action in the metadata; the fixture expects it').choices(scaffoldActions).default('deny'))
    .option('--dir <dir>', 'the policy directory to add it to', 'policies')
    .addHelpText(
      'after',
      `
Creates <dir>/<family>/<name>/ with:
  <name>.rego           package wasmgate.policies.<family>.<name>: # METADATA (title, description,
                        custom.id, custom.action, custom.remediation, custom.data) and an example rule,
                        violations: an object whose label <name> is set but empty
  <name>_test.rego      Rego tests covering every line of it
  fixtures/<name>.yaml  a manifest expected to be allowed and one expected to be denied (or warned)
No existing file changes: the decision finds every wasmgate.policies package by itself.
Refused: ids that are not <family>.<name>, a folder that exists, an id or package already used.

Exit codes: 0 created, 2 usage error (nothing is written).

Example:
  wasmgate new policy labels.team --action warn && wasmgate test`,
    )
    .action(async (id: string, flags: NewPolicyFlags) => {
      try {
        io.setExitCode(await runNewPolicy(id, flags, io));
      } catch (err) {
        io.stderr.write(`wasmgate new policy: ${describeThrown(err)}\n`);
        io.setExitCode(exit.usage);
      }
    });
}
