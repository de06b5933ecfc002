// Hive Gateway's configuration for the benchmark. By default nothing is changed: it runs as
// `hive-gateway supergraph <file>` would. HIVE_INBOUND_DEDUP=true turns on its deduplication of
// identical incoming requests (`inboundInflightRequestDeduplication`, off by default; The
// Guild's own benchmark turns it on). HIVE_RESPONSE_CACHE_TTL_MS=<ms> turns on its response cache
// (`responseCaching`, entries in its default in-memory cache, shared by every caller).
// HIVE_ROUTER_RUNTIME=true runs Hive Router's Rust query planner (`@graphql-hive/router-runtime`,
// what `--hive-router-runtime` loads). In front of Tessera's subgraphs, which answer only
// requests signed as Tessera's gateway signs them (SUBGRAPH_SIGNING_KEYS), each upstream fetch
// gets a signature header — after Hive's own dedup of in-flight fetches, which is unchanged.
import process from 'node:process';
import { URL } from 'node:url';
import { defineConfig } from '@graphql-hive/gateway';
import { parseSigningKeys, signRequest, SIGNATURE_HEADER, SIGNED_HEADERS } from '../../packages/service-kit/src/request-signing.ts';

const { unifiedGraphHandler } = process.env.HIVE_ROUTER_RUNTIME === 'true' ? await import('@graphql-hive/router-runtime') : {};
const [key] = process.env.SUBGRAPH_SIGNING_KEYS ? parseSigningKeys(process.env.SUBGRAPH_SIGNING_KEYS) : [];

const signing = {
  onFetch({ url, options, setOptions }) {
    const { pathname, search } = new URL(url);
    // The headers Tessera's subgraphs check the signature over, as this fetch sends them (Hive forwards no identity: signed as absent).
    const headers = Object.fromEntries(
      SIGNED_HEADERS.flatMap((name) => (options.headers?.[name] === undefined ? [] : [[name, options.headers[name]]])),
    );
    const signature = signRequest({ method: options.method ?? 'GET', path: pathname + search, body: options.body, headers }, key);
    setOptions({ ...options, headers: { ...options.headers, [SIGNATURE_HEADER]: signature } });
  },
};

export const gatewayConfig = defineConfig({
  ...(process.env.HIVE_INBOUND_DEDUP === 'true' && { inboundInflightRequestDeduplication: true }),
  ...(Number(process.env.HIVE_RESPONSE_CACHE_TTL_MS) > 0 && {
    responseCaching: { ttl: Number(process.env.HIVE_RESPONSE_CACHE_TTL_MS), session: () => null },
  }),
  ...(unifiedGraphHandler && { unifiedGraphHandler }),
  plugins: () => (key ? [signing] : []),
});
