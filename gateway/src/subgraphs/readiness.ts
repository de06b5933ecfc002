import { request } from 'undici';

/**
 * Readiness of the subgraphs the supergraph routes to: each one's `GET /ready`
 * (next to its GraphQL path) must answer 2xx within `timeoutMs`. Rejects naming
 * every subgraph that is not ready.
 */
export async function checkSubgraphsReady(urls: ReadonlyMap<string, string>, timeoutMs = 2_000): Promise<void> {
  const failures = await Promise.all(
    [...urls].map(async ([name, url]) => {
      try {
        const response = await request(new URL('/ready', url), { signal: AbortSignal.timeout(timeoutMs) });
        await response.body.dump();
        return response.statusCode < 300 ? null : `${name} (HTTP ${response.statusCode})`;
      } catch {
        return `${name} (unreachable)`;
      }
    }),
  );
  const notReady = failures.filter((f): f is string => f !== null);
  if (notReady.length) throw new Error(`subgraphs not ready: ${notReady.join(', ')}`);
}
