// Hive Gateway's configuration for the benchmark. By default nothing is changed: it runs as
// `hive-gateway supergraph <file>` would. HIVE_INBOUND_DEDUP=true turns on its deduplication of
// identical incoming requests (`inboundInflightRequestDeduplication`, off by default; The
// Guild's own benchmark turns it on). In front of Tessera's subgraphs, which answer only
// requests signed as Tessera's gateway signs them (SUBGRAPH_SIGNING_KEYS), each upstream fetch
// gets a signature header — after Hive's own dedup of in-flight fetches, which is unchanged.
import { defineConfig } from '@graphql-hive/gateway';
import { parseSigningKeys, signRequest, SIGNATURE_HEADER } from '../../../packages/service-kit/src/request-signing.ts';

const [key] = process.env.SUBGRAPH_SIGNING_KEYS ? parseSigningKeys(process.env.SUBGRAPH_SIGNING_KEYS) : [];

const signing = {
  onFetch({ url, options, setOptions }) {
    const { pathname, search } = new URL(url);
    const signature = signRequest({ method: options.method ?? 'GET', path: pathname + search, body: options.body, identity: undefined }, key);
    setOptions({ ...options, headers: { ...options.headers, [SIGNATURE_HEADER]: signature } });
  },
};

export const gatewayConfig = defineConfig({
  ...(process.env.HIVE_INBOUND_DEDUP === 'true' && { inboundInflightRequestDeduplication: true }),
  plugins: () => (key ? [signing] : []),
});
