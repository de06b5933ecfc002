// Hive Gateway's configuration in front of Tessera's subgraphs: they answer only requests
// signed as Tessera's gateway signs them (SUBGRAPH_SIGNING_KEYS), so each upstream fetch gets
// a signature header. Hive dedups in-flight fetches before this hook, so its dedup is unchanged.
import { defineConfig } from '@graphql-hive/gateway';
import { parseSigningKeys, signRequest, SIGNATURE_HEADER } from '../../../packages/service-kit/src/request-signing.ts';

const [key] = parseSigningKeys(process.env.SUBGRAPH_SIGNING_KEYS ?? '');

export const gatewayConfig = defineConfig({
  plugins: () => [
    {
      onFetch({ url, options, setOptions }) {
        const { pathname, search } = new URL(url);
        const signature = signRequest({ method: options.method ?? 'GET', path: pathname + search, body: options.body, identity: undefined }, key);
        setOptions({ ...options, headers: { ...options.headers, [SIGNATURE_HEADER]: signature } });
      },
    },
  ],
});
