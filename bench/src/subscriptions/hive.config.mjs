// Hive Gateway's configuration for `pnpm bench:subscriptions`: bench/hive/hive.config.mjs (request
// signing in front of Tessera's subgraphs, and its other switches), plus subscriptions to the
// subgraphs sent as POSTs. Hive's HTTP executor asks for a subscription's event stream with a GET
// by default (the query in the URL), which Tessera's subgraphs answer with GRAPHQL_PARSE_FAILED:
// their event streams read the operation from a POST's body only.
import { gatewayConfig as base } from '../../hive/hive.config.mjs';

export const gatewayConfig = {
  ...base,
  transportEntries: { '*.http': { options: { method: 'POST' } } },
};
