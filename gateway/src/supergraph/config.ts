import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** One subgraph as `supergraph.yaml` lists it, with its schema path made absolute. */
export interface SubgraphSource {
  name: string;
  routingUrl: string;
  schemaPath: string;
}

const supergraphYaml = z.object({
  federation_version: z.string().optional(),
  subgraphs: z.record(
    z.string(),
    z.object({
      routing_url: z.string().url(),
      schema: z.object({ file: z.string() }),
    }),
  ),
});

/** Reads a rover-compatible `supergraph.yaml` (only `schema.file` sources are supported). */
export async function loadSupergraphConfig(path: string): Promise<SubgraphSource[]> {
  const parsed = supergraphYaml.safeParse(parseYaml(await readFile(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${path} is not a valid supergraph config: ${problems}`);
  }
  const base = dirname(resolve(path));
  return Object.entries(parsed.data.subgraphs).map(([name, subgraph]) => ({
    name,
    routingUrl: subgraph.routing_url,
    schemaPath: resolve(base, subgraph.schema.file),
  }));
}
