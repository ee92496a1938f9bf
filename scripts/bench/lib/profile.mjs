// Where an in-thread evaluation spends its time: V8's sampling profiler (the same data as
// `node --cpu-prof`) over a few seconds of PolicyEvaluator.decide, reduced to self time by function
// and by kind (OPA's WASM runtime: value hashing, regex compilation, JSON, allocation; the JS glue).
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';

const kinds = [
  ['regex (re2: patterns compiled on each evaluation)', (f) => f.startsWith('re2::') || f.includes('opa_regex')],
  ['value hashing (opa_value_hash, opa_*_hash)', (f) => /^opa_\w*hash/.test(f)],
  ['JSON in WASM (opa_json_*)', (f) => f.startsWith('opa_json')],
  ['allocation (opa_malloc/free, memcpy/memmove/memset)', (f) => /^(opa_malloc|opa_free|opa_realloc|memcpy|memmove|memset|__opa_object_grow)/.test(f)],
  ['other WASM (policy code, opa_value_* and builtins in WASM)', (f, url) => url.includes('wasm')],
  ['garbage collection', (f) => f === '(garbage collector)'],
  ['JavaScript (SDK, engine, builtins in JS)', () => true],
];

export async function profileDecide(fn, seconds) {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const stop = performance.now() + seconds * 1000;
    let evaluations = 0;
    while (performance.now() < stop) {
      fn();
      evaluations++;
    }
    const { profile } = await session.post('Profiler.stop');
    return summarize(profile, evaluations);
  } finally {
    session.disconnect();
  }
}

function summarize(profile, evaluations) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)') return;
    const key = `${name}\u0000${node.callFrame.url.includes('wasm') ? 'wasm' : node.callFrame.url.split('/').slice(-2).join('/')}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const share = (t) => Math.round((1000 * t) / total) / 10;
  const byKind = new Map(kinds.map(([k]) => [k, 0]));
  for (const [key, t] of self) {
    const [name, where] = key.split('\u0000');
    const kind = kinds.find(([, match]) => match(name, where))[0];
    byKind.set(kind, byKind.get(kind) + t);
  }
  return {
    evaluations,
    byKind: [...byKind].filter(([, t]) => t > 0).sort((a, b) => b[1] - a[1]).map(([kind, t]) => ({ kind, percent: share(t) })),
    topFunctions: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([key, t]) => {
        const [name, where] = key.split('\u0000');
        return { function: name.replace(/\(.*$/, '').slice(0, 80), where, percent: share(t) };
      }),
  };
}
