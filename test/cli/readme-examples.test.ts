import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../helpers/eval-cli.js';
import { repoRoot, shippedBundle } from '../helpers/policies.js';

// The README's `wasmgate eval` examples are run as written, on the project's own compiled policy, and
// must print what the README shows (exit codes through `echo $?` included), so they cannot drift.
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const offline = readme.slice(readme.indexOf('<!-- section: offline -->'), readme.indexOf('<!-- /section: offline -->'));

interface Step {
  readonly command: string;
  readonly expected: string;
}

/** The ```console blocks that start with `$ wasmgate eval`: each a list of commands and their output. */
function examples(markdown: string): Step[][] {
  const blocks = [...markdown.matchAll(/```console\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .filter((block) => block.startsWith('$ wasmgate eval'))
    .map((block) => {
      const steps: { command: string; output: string[] }[] = [];
      for (const line of block.trimEnd().split('\n')) {
        if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
        else steps[steps.length - 1]!.output.push(line);
      }
      return steps.map((s) => ({ command: s.command, expected: s.output.join('\n') }));
    });
}

const hasJq = spawnSync('sh', ['-c', 'command -v jq'], { encoding: 'utf8' }).status === 0;
const found = examples(offline);
t.ok(found.length >= 2, 'the offline section has eval examples to run');

for (const steps of found) {
  t.test(steps[0]!.command, async (t) => {
    if (!hasJq && steps.some((s) => /\|\s*jq\b/.test(s.command))) {
      t.skip('jq is not installed');
      return;
    }
    // One shell per block, as a reader would type it; a marker line separates each command's output.
    const marker = '--wasmgate-readme-step--';
    // eval decides with the default set the README describes, not with policies an author added.
    const shipped = await shippedBundle();
    const script = [
      `wasmgate() { if [ "$1" = eval ]; then shift; set -- eval --policy "${shipped}" "$@"; fi; "${process.execPath}" "${cli}" "$@"; }`,
      // The marker keeps $? as the previous command left it, for `echo $?`.
      ...steps.flatMap((s) => [`status=$?; echo '${marker}'; (exit $status)`, `${s.command} 2>&1`]),
    ].join('\n');
    const run = spawnSync('sh', ['-c', script], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' } });
    const outputs = run.stdout.split(`${marker}\n`).slice(1);
    t.equal(outputs.length, steps.length, 'every command ran');
    steps.forEach((step, i) => {
      const actual = (outputs[i] ?? '').replace(/\n$/, '').split('\n').map((l) => l.trimEnd()).join('\n');
      t.equal(actual, step.expected.split('\n').map((l) => l.trimEnd()).join('\n'), `$ ${step.command}`);
    });
  });
}
