import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherResponse } from '@apollo/utils.fetcher';
import { ANONYMOUS, encodeIdentity, IDENTITY_HEADER, type Identity, type Logger } from '@tessera/service-kit';
import { subrequestHttpError } from '../errors.js';

/**
 * How the gateway calls one subgraph: through the pooled fetcher, and with failures
 * turned into a `SUBREQUEST_HTTP_ERROR` that names the subgraph. The gateway then
 * returns whatever the other subgraphs resolved, plus that error — never a crash.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource {
  constructor(
    private readonly service: string,
    url: string,
    fetcher: Fetcher,
    private readonly logger: Logger,
  ) {
    super({ url, fetcher });
  }

  /** Forwards who the request acts for (covered by the request's signature). */
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<{ identity?: Identity }>): void {
    request.http?.headers.set(IDENTITY_HEADER, encodeIdentity(context.identity ?? ANONYMOUS));
  }

  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse): never {
    const reason = response && !response.ok ? `HTTP ${response.status}` : describeNetworkError(error);
    this.logger.warn({ subgraph: this.service, url: this.url, err: error }, 'subgraph request failed');
    throw subrequestHttpError(this.service, reason, response?.ok === false ? response.status : undefined);
  }
}

function describeNetworkError(error: Error): string {
  const { code, cause } = error as Error & { code?: string; cause?: { code?: string } };
  const errorCode = code ?? cause?.code;
  switch (errorCode) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timed out';
    default:
      return 'request failed';
  }
}
