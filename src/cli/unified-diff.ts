type Line = { readonly mark: ' ' | '-' | '+'; readonly text: string; readonly before: number; readonly after: number };

function lines(text: string): string[] {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/** Every line of both texts in order, marked kept, removed or added (a longest common subsequence). */
function compare(a: readonly string[], b: readonly string[]): Line[] {
  const common = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const out: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) out.push({ mark: ' ', text: a[i++]!, before: i, after: ++j });
    else if (i < a.length && (j === b.length || common[i + 1]![j]! >= common[i]![j + 1]!)) out.push({ mark: '-', text: a[i++]!, before: i, after: j });
    else out.push({ mark: '+', text: b[j++]!, before: i, after: j });
  }
  return out;
}

/** A unified diff (`diff -u` style, `context` lines around each change); empty when the texts are equal. */
export function unifiedDiff(before: string, after: string, beforeName: string, afterName: string, context = 3): string {
  const all = compare(lines(before), lines(after));
  const changed = all.flatMap((line, index) => (line.mark === ' ' ? [] : [index]));
  if (changed.length === 0) return '';
  const out = [`--- ${beforeName}`, `+++ ${afterName}`];
  let k = 0;
  while (k < changed.length) {
    let last = k;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! <= 2 * context) last++;
    const hunk = all.slice(Math.max(0, changed[k]! - context), Math.min(all.length, changed[last]! + context + 1));
    const oldCount = hunk.filter((l) => l.mark !== '+').length;
    const newCount = hunk.filter((l) => l.mark !== '-').length;
    const first = hunk[0]!;
    // Line numbers are 1-based; a side with no lines in the hunk names the line before it.
    const oldStart = first.mark === '+' ? first.before + (oldCount > 0 ? 1 : 0) : first.before;
    const newStart = first.mark === '-' ? first.after + (newCount > 0 ? 1 : 0) : first.after;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...hunk.map((l) => `${l.mark}${l.text}`));
    k = last + 1;
  }
  return `${out.join('\n')}\n`;
}
