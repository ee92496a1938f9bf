import { performance } from 'node:perf_hooks';

/**
 * How long one review may take, from its arrival to its answer. The API server says how long it will
 * wait (its webhook `timeoutSeconds`, sent as `?timeout=3s` on the URL); `reviewTimeout` caps that and
 * stands in when a client says nothing. The answer must leave a little before the budget ends, so the
 * way back fits in it too.
 */
export interface Budget {
  /** The whole budget in milliseconds. */
  readonly ms: number;
  /** Where it came from, for messages: "the API server's timeout=3s" or "reviewTimeout". */
  readonly from: string;
  /** performance.now() by which the answer must be sent. */
  readonly answerBy: number;
  /** How long of the budget is kept for the answer's way back, in milliseconds. */
  readonly marginMs: number;
}

const goUnits: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const goDuration = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|μs|ms|s|m|h))+$/;

/** Go's `time.Duration` text ("3s", "1m0s", "1.5s", "500ms"), as the API server writes it, in milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  if (!goDuration.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(m[1]) * goUnits[m[2]!]!;
  return total;
}

/** The part of the budget kept for the answer's way back: a tenth, at most half a second. */
export function answerMargin(ms: number): number {
  return Math.min(ms / 10, 500);
}

/**
 * The budget of a review that arrived at `arrivedAt` (performance.now()) with this request URL. A
 * `timeout` the API server did not write (unparsable, zero) is ignored: the cap applies.
 */
export function reviewBudget(url: string, arrivedAt: number, capMs: number): Budget {
  const query = url.indexOf('?');
  const raw = query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get('timeout');
  const asked = raw === null ? undefined : parseGoDuration(raw);
  const fromApiServer = asked !== undefined && asked > 0 && asked <= capMs;
  const ms = fromApiServer ? asked : capMs;
  const marginMs = answerMargin(ms);
  return {
    ms,
    from: fromApiServer ? `the API server's timeout=${raw}` : 'reviewTimeout',
    answerBy: arrivedAt + ms - marginMs,
    marginMs,
  };
}

/** Milliseconds left before the answer is due (negative once it is late). */
export function remaining(budget: Budget, now: number = performance.now()): number {
  return budget.answerBy - now;
}
