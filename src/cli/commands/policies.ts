import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { Option, type Command } from 'commander';
import { describeThrown } from '../../errors.js';
import type { ListedPolicy } from '../../policies/in-force.js';
import { processIO, type CommandIO } from '../io.js';

interface PoliciesFlags {
  output: 'text' | 'json' | 'markdown';
  policy?: string;
  data?: string;
  readme?: string;
}

const exit = { ok: 0, usage: 2 } as const;
const outputs = ['text', 'json', 'markdown'] as const;

function textTable(policies: readonly ListedPolicy[]): string {
  const rows: string[][] = [['ID', 'ACTION', 'SET BY', 'TITLE', 'DATA KEYS']];
  const setBy = (from: string, invalid?: string) => (invalid ? `${from} is ${invalid}, not an action: counts as deny` : from);
  for (const p of policies) {
    rows.push([p.id, p.inForce.action, setBy(p.inForce.from, p.inForce.invalid), p.title, p.data.join(', ') || '-']);
    for (const r of p.rules) rows.push([`  ${r.id}`, r.inForce.action, setBy(r.inForce.from, r.inForce.invalid), r.title, '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

async function runPolicies(flags: PoliciesFlags, io: CommandIO): Promise<number> {
  // Loaded when the command runs, so that --help and --version start fast.
  const [{ resolveCatalogue }, { readDataFile }, { listPolicies }, { policyTable, spliceTable }] = await Promise.all([
    import('../policy-source.js'),
    import('../../engine/data-file.js'),
    import('../../policies/in-force.js'),
    import('../../policies/markdown.js'),
  ]);
  const catalogue = await resolveCatalogue(flags.policy, (line) => io.stderr.write(`wasmgate: ${line}\n`));
  const dataFile = flags.data ?? catalogue.defaultData;
  const policies = listPolicies(catalogue.entries, dataFile !== undefined ? readDataFile(dataFile) : undefined);
  const shown = (file: string) => {
    const path = relative(process.cwd(), resolve(file));
    return path.startsWith('..') ? resolve(file) : path;
  };

  if (flags.readme !== undefined) {
    const readme = resolve(flags.readme);
    const base = catalogue.policyDir === undefined ? undefined : relative(dirname(readme), catalogue.policyDir).split(sep).join('/') || '.';
    const before = readFileSync(readme, 'utf8');
    const after = spliceTable(before, policyTable(policies, base), flags.readme);
    if (after !== before) writeFileSync(readme, after);
    io.stderr.write(`wasmgate policies: ${after === before ? 'the policy table in' : 'wrote the policy table into'} ${flags.readme}${after === before ? ' is current' : ''}\n`);
    return exit.ok;
  }
  if (flags.output === 'json') {
    io.stdout.write(`${JSON.stringify({ version: 1, data: dataFile === undefined ? null : shown(dataFile), policies }, null, 2)}\n`);
  } else if (flags.output === 'markdown') {
    io.stdout.write(policyTable(policies));
  } else {
    io.stdout.write(policies.length > 0 ? textTable(policies) : 'no policies: no package wasmgate.policies.<family>.<name> with # METADATA\n');
    if (dataFile !== undefined) io.stderr.write(`wasmgate policies: actions in force with ${shown(dataFile)}\n`);
  }
  return exit.ok;
}

export function registerPolicies(program: Command, io: CommandIO = processIO): void {
  program
    .command('policies')
    .description('list the policies with their id, title, action in force and the data keys they read, from their METADATA')
    .addOption(new Option('-o, --output <format>', 'output format').choices(outputs).default('text'))
    .option('--policy <dir>', 'the policy directory: Rego (read with the pinned OPA) or a compiled directory (its catalogue.json); default policies/ here, else wasmgate\'s own')
    .option('--data <file>', 'the data whose config.enforcement sets the actions in force (default: data.yaml beside the Rego, e.g. policies/data.yaml; a compiled directory\'s data.json)')
    .option('--readme <file>', 'write the Markdown table between the policy-table markers of this file instead of printing')
    .addHelpText(
      'after',
      `
Every package wasmgate.policies.<family>.<name> is a policy; its # METADATA block gives the id, title,
description, default action (deny, warn or dryrun), remediation and data keys (see policies/README.md).

The action in force of a policy is config.enforcement[<id>] in the data, else config.enforcement[<family>]
(the id up to the first "."), else the default of its metadata; a finding id (custom.rules) likewise,
with its policy's default. SET BY says which key decided.

Exit codes: 0 listed, 2 usage error, invalid metadata or data.

Examples:
  wasmgate policies                                # the project's policies with policies/data.yaml
  wasmgate policies --data deploy/prod-data.yaml   # what is in force with another data file
  wasmgate policies -o json | jq '.policies[] | select(.inForce.action == "warn") | .id'
  wasmgate policies --policy my-policies/          # another policy directory
  wasmgate policies --readme README.md             # regenerate the README's policy table`,
    )
    .action(async (flags: PoliciesFlags) => {
      try {
        io.setExitCode(await runPolicies(flags, io));
      } catch (err) {
        io.stderr.write(`wasmgate policies: ${describeThrown(err)}\n`);
        io.setExitCode(exit.usage);
      }
    });
}
