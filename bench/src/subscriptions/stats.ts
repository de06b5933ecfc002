/** The value below which `p` (0–1) of `sorted` lies (nearest rank); NaN for none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** The values in ascending order, as a typed array (a million latencies sort in place, without boxing). */
export function sortedOf(values: Iterable<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Median, lowest and highest of a figure over the rounds of a run. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The spread of `values` (the rounds' readings of one figure); NaNs (a round that measured nothing) left out. */
export function spreadOf(values: number[]): Spread {
  const sorted = sortedOf(values.filter((v) => !Number.isNaN(v)));
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** `12.3 (11.0–14.1)`: the median and, over more than one round, the range. */
export function formatSpread({ median, min, max }: Spread, digits = 1): string {
  if (Number.isNaN(median)) return '—';
  const f = (n: number) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return min === max ? f(median) : `${f(median)} (${f(min)}–${f(max)})`;
}
