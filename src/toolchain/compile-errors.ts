/** What the builtins known to this build are: those the engine runs, and OPA's that it cannot. */
export interface BuiltinNames {
  /** Builtins in the capabilities the policy is compiled against. */
  readonly available: readonly string[];
  /** OPA builtins left out of the capabilities because the engine cannot run them. */
  readonly excluded: readonly string[];
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Whether `short` is `long` with letters left out ("cnt" in "count"): how most typos look. */
function isAbbreviationOf(short: string, long: string): boolean {
  let i = 0;
  for (const letter of long) if (letter === short[i]) i++;
  return i === short.length;
}

/** The available builtin nearest to a misspelt name, when one is near enough to be what was meant. */
function nearest(name: string, available: readonly string[]): string | undefined {
  const score = (candidate: string) => editDistance(name, candidate) - (isAbbreviationOf(name, candidate) ? 0.5 : 0);
  let best: { name: string; score: number } | undefined;
  for (const candidate of available) {
    const s = score(candidate);
    if (s <= Math.max(2, Math.floor(name.length / 3)) && (!best || s < best.score)) best = { name: candidate, score: s };
  }
  return best?.name;
}

/**
 * OPA's compile errors with what they mean for wasmgate: an "undefined function" is either an OPA
 * builtin the engine cannot run (left out of the capabilities on purpose) or a name OPA does not
 * know at all, most often a typo.
 */
export function explainCompileErrors(text: string, builtins: BuiltinNames): string {
  const undefinedFunctions = [...new Set([...text.matchAll(/undefined function ([\w.]+)/g)].map((m) => m[1]!))];
  const unrunnable = undefinedFunctions.filter((name) => builtins.excluded.includes(name));
  const unknown = undefinedFunctions.filter((name) => !builtins.excluded.includes(name));
  const notes = [
    ...unknown.map((name) => {
      const suggestion = nearest(name, builtins.available);
      return `${name} is not a function of OPA or of the policy (misspelt?${suggestion ? ` did you mean ${suggestion}?` : ''})`;
    }),
    ...(unrunnable.length > 0
      ? [
          `The policy calls builtins wasmgate's engine cannot run: ${unrunnable.join(', ')}. ` +
            `They are not compiled into OPA's WASM and neither the SDK nor wasmgate's host implements them ` +
            `(see src/engine/builtins/). Rewrite the rule without them, or add a host builtin.`,
        ]
      : []),
  ];
  return notes.length === 0 ? text : `${text}\n\n${notes.join('\n')}`;
}
