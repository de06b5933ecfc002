import { once } from 'node:events';
import { createServer } from 'node:http';

/** A stand-in owning subgraph, and what it was asked. */
export interface EntityOwner {
  /** Its GraphQL URL. */
  url: string;
  /** The ids it knows, by type name: add or remove to change its answers. */
  known: Map<string, Set<string>>;
  /** The signature headers of the requests it received, in order (undefined for an unsigned one). */
  signatures: Array<string | undefined>;
  /** While true, it answers as an owner whose database is down: an INTERNAL_SERVER_ERROR for every entity. */
  failing: boolean;
  close(): Promise<void>;
}

/**
 * A stand-in for the subgraph that owns some entities, for unit tests of a subgraph that asks
 * it whether ids exist: it answers `_entities` as the real owners do — `{ __typename }` for a
 * known id, `null` and a NOT_FOUND error on its path for any other. The real owners answer the
 * cross-service tests.
 */
export async function startEntityOwner(known: Record<string, Iterable<string>>): Promise<EntityOwner> {
  const owner: Omit<EntityOwner, 'url' | 'close'> = {
    known: new Map(Object.entries(known).map(([type, ids]) => [type, new Set(ids)])),
    signatures: [],
    failing: false,
  };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      owner.signatures.push(request.headers['x-tessera-signature'] as string | undefined);
      const variables = parseVariables(body);
      // As a real subgraph does: a body that is not a lookup is a 400, not a crash of the test process.
      if (!variables)
        return void response
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"errors":[{"message":"bad request","extensions":{"code":"BAD_REQUEST"}}]}');
      const found = variables.r.map((rep) => !owner.failing && owner.known.get(rep.__typename)?.has(rep.id) === true);
      const errors = variables.r.flatMap((rep, i) =>
        found[i]
          ? []
          : [
              {
                message: owner.failing ? 'Internal server error' : `No ${rep.__typename} has id "${rep.id}".`,
                path: ['_entities', i],
                extensions: { code: owner.failing ? 'INTERNAL_SERVER_ERROR' : 'NOT_FOUND' },
              },
            ],
      );
      const answer = {
        data: { _entities: variables.r.map((rep, i) => (found[i] ? { __typename: rep.__typename } : null)) },
        ...(errors.length && { errors }),
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return Object.assign(owner, {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
}

/** The representations of an `_entities` lookup body, or undefined for anything else (an empty or cut-off body). */
function parseVariables(body: string): { r: Array<{ __typename: string; id: string }> } | undefined {
  try {
    const { variables } = JSON.parse(body) as { variables?: { r?: Array<{ __typename: string; id: string }> } };
    return Array.isArray(variables?.r) ? { r: variables.r } : undefined;
  } catch {
    return undefined;
  }
}
