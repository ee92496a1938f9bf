// Percentiles and the small arithmetic the reports need.

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50/p99/p99.9, mean, min and max of a list of samples (any unit; the caller names it). */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    mean: sorted.length ? sum / sorted.length : undefined,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

/** ours / peer, rounded to 2 significant decimals; undefined when either is missing. */
export function ratio(ours, peer) {
  if (typeof ours !== 'number' || typeof peer !== 'number' || !(peer > 0)) return undefined;
  return Math.round((ours / peer) * 100) / 100;
}

export const round = (v, digits = 1) => (typeof v === 'number' ? Math.round(v * 10 ** digits) / 10 ** digits : v);
