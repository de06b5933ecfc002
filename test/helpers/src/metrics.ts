/** The Prometheus text a service's internal listener serves at `/metrics` on `port` (loopback). */
export async function scrapeMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics on port ${port}: ${response.status}`);
  return response.text();
}

/**
 * The sum of the samples of metric `name` in Prometheus text whose labels include all of
 * `labels` (each sample counted once: `name{…} value` lines only, not `_bucket`/`_sum` of
 * another name); 0 when there is none.
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!sample || sample[1] !== name) continue;
    const present = (sample[3] ?? '').split(/,(?=[a-zA-Z_]\w*=")/);
    if (wanted.every((label) => present.includes(label))) sum += Number(sample[4]);
  }
  return sum;
}
