import t from 'tap';
import { progressBar, progressThreshold } from '../../dist/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const stream = { isTTY, columns: 100, written: '', write(chunk: string) { stream.written += chunk; return true; }, on() { return stream; }, removeListener() { return stream; } };
  return stream;
}

t.test('a progress bar is drawn on a terminal for a big run, and only then', async (t) => {
  const tty = fakeStream(true);
  const bar = progressBar(progressThreshold, true, tty as unknown as NodeJS.WriteStream);
  bar.update(progressThreshold / 2, progressThreshold);
  bar.stop();
  t.match(tty.written, new RegExp(`evaluating \\[.*\\] 0/${progressThreshold} documents`));

  for (const [name, stream, total, enabled] of [
    ['not a terminal', fakeStream(false), progressThreshold * 10, true],
    ['a small run', fakeStream(true), progressThreshold - 1, true],
    ['--no-progress', fakeStream(true), progressThreshold * 10, false],
  ] as const) {
    const quiet = progressBar(total, enabled, stream as unknown as NodeJS.WriteStream);
    quiet.update(1, total);
    quiet.stop();
    t.equal(stream.written, '', name);
  }
});
