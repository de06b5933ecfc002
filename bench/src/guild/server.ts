import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { execute, parse, validate, type DocumentNode } from 'graphql';
import { GUILD_SUBGRAPHS, guildSchema, type GuildSubgraph } from './subgraphs.js';

/**
 * The four Guild subgraphs on one HTTP server (`POST /accounts`, `/inventory`, `/products`,
 * `/reviews`, as the Rust original serves them). The data never changes, so each distinct
 * request body is executed once and its answer replayed: the subgraphs then cost about what the
 * Rust ones cost, and the benchmark measures the gateway in front of them.
 */
export async function startGuildSubgraphs(
  port: number,
  host = '127.0.0.1',
): Promise<{ url: (name: GuildSubgraph) => string; server: Server }> {
  const schemas = new Map(GUILD_SUBGRAPHS.map((name) => [`/${name}`, guildSchema(name)]));
  const documents = new Map<string, DocumentNode>();
  const answers = new Map<string, string>();
  const answer = async (path: string, body: string): Promise<string | undefined> => {
    const schema = schemas.get(path);
    if (!schema) return undefined;
    const { query, variables, operationName } = JSON.parse(body) as {
      query: string;
      variables?: Record<string, unknown>;
      operationName?: string;
    };
    let document = documents.get(query);
    if (!document) {
      document = parse(query);
      const errors = validate(schema, document);
      if (errors.length) return JSON.stringify({ errors });
      documents.set(query, document);
    }
    return JSON.stringify(await execute({ schema, document, variableValues: variables, operationName }));
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    const respond = async () => {
      const body = Buffer.concat(chunks).toString();
      const key = `${request.url}\n${body}`;
      let text = answers.get(key);
      if (text === undefined) {
        text = await answer(request.url ?? '/', body).catch((error: Error) => JSON.stringify({ errors: [{ message: error.message }] }));
        if (text === undefined) {
          response.writeHead(request.url === '/health' ? 200 : 404).end();
          return;
        }
        answers.set(key, text);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(text);
    };
    // `answer` turns its own failures into a GraphQL error: `respond` does not reject.
    request.on('end', () => void respond());
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, host);
  await once(server, 'listening');
  return { url: (name) => `http://${host}:${port}/${name}`, server };
}

// Run as a process of its own: `node --import tsx bench/src/guild/server.ts` with PORT.
if (import.meta.url === `file://${process.argv[1]}`) {
  await startGuildSubgraphs(Number(process.env.PORT ?? 4200));
  console.log('guild subgraphs ready');
}
