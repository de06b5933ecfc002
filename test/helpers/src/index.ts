export { requireEnv } from './require-env.js';
export { getFreePort } from './free-port.js';
export { commandLine, processTree, stopProcessGroup } from './process-tree.js';
export { waitForReady } from './platform.js';
export { waitUntil, type WaitUntilOptions } from './wait-until.js';
export { createTestDatabase, sqlRows, type TestDatabase } from './test-database.js';
export { pingRedis, type PingRedisOptions } from './redis-ping.js';
export { stopRedis, startRedis, restartRedis, type StopRedisOptions, type StartRedisOptions } from './redis-control.js';
export {
  freeServicePorts,
  serviceAddressEnv,
  startPlatform,
  startPlatformWithDatabases,
  spawnServiceProcess,
  SERVICES,
  type ExtraGateway,
  type Platform,
  type PlatformOptions,
  type PlatformWithDatabases,
  type PlatformWithDatabasesOptions,
  type ServiceName,
  type ServicePorts,
} from './platform.js';
export {
  errorCodes,
  GRAPHQL_RESPONSE_ACCEPT,
  type Connection,
  postGraphQL,
  type GraphQLBody,
  type GraphQLHttpResponse,
  type GraphQLRequest,
  type GraphQLResponse,
  type GraphQLResponseError,
} from './graphql-http.js';
export { metricSum, scrapeMetrics } from './metrics.js';
export { createSubgraphHarness, type SubgraphHarness, type SubgraphHarnessOptions } from './subgraph-harness.js';
export { createStatementCounter, type StatementCounter } from './statement-counter.js';
export { createSubgraphDatabases, SUBGRAPH_NAMES, type SubgraphDatabases, type SubgraphName } from './subgraph-databases.js';
export {
  characterLimitHolds,
  unstorableCharacter,
  unstorableInEveryTextField,
  type CharacterLimitOptions,
  type UnstorableTextOptions,
} from './text-inputs.js';
export { TEST_AUTH, TEST_AUTH_ENV, testToken, type TestTokenOptions } from './auth.js';
export { startEntityOwner, type EntityOwner } from './entity-owner.js';
export { startOwnPostgres, type OwnPostgres } from './own-postgres.js';
export { startReplication, type Replication, type ReplicationServer } from './replication.js';
export { misspeltNames, type Probe } from './schema-misspellings.js';
export { mergeParts, mergeResults, multipartBodies, withoutDefer } from './multipart.js';
export { startDelayingProxy } from './delaying-proxy.js';
