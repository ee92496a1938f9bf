// An idle `wasmgate serve` stays asleep: each wake-up of a waiting server costs CPU on every node it
// runs on, and on one CPU it takes turns with the reviews when load comes.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { admit, buildEcho, review, serveProcess } from './helpers.js';

const bundle = await buildEcho();

/** A counter of a /proc file's `key:  N` line (Linux). */
function procCount(path: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+)$`, 'm').exec(readFileSync(path, 'utf8'));
  if (!match) throw new Error(`no ${key} in ${path}`);
  return Number(match[1]);
}

/** How often the process's main thread has gone to sleep of its own accord. */
const voluntarySwitches = (pid: number) => procCount(`/proc/${pid}/task/${pid}/status`, 'voluntary_ctxt_switches');

/** Write system calls the whole process has made. */
const writeCalls = (pid: number) => procCount(`/proc/${pid}/io`, 'syscw');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an idle server wakes its main thread fewer than 40 times a second and writes nothing', { skip: !existsSync('/proc/self/task') && 'needs Linux /proc' }, async (t) => {
  // The main thread evaluates too (no worker), so every timer it runs is counted here.
  const { child, port, ca } = await serveProcess(t, bundle, ['--workers', '0']);
  t.equal((await admit(port, ca, review('warm'))).json.response.allowed, true);
  // Start-up's own work (GC, compilation, the first log flushes) settles first.
  await sleep(2_000);
  const pid = child.pid!;
  const before = voluntarySwitches(pid);
  const writesBefore = writeCalls(pid);
  const seconds = 4;
  await sleep(seconds * 1000);
  const perSecond = (voluntarySwitches(pid) - before) / seconds;
  // With nothing to log it writes nothing: sonic-boom's periodic flush wrote an empty string every 100 ms.
  t.equal(writeCalls(pid) - writesBefore, 0, 'no writes while idle');
  // Measured: ~105 a second with prom-client's event-loop monitor sampling every 10 ms (its default),
  // ~22 with it at 100 ms and the log flushed every 100 ms, ~11 with the log flushed only when a line waits.
  t.ok(perSecond < 40, `${perSecond.toFixed(1)} wake-ups a second`);
});
