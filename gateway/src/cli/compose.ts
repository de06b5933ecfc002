/**
 * `pnpm compose`: composes the subgraphs listed in supergraph.yaml with
 * @apollo/composition and writes the supergraph file (default: supergraph.graphql).
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CompositionError, composeSupergraph, loadSupergraphConfig } from '../supergraph/index.js';

const root = resolve(import.meta.dirname, '../../..');
const { values } = parseArgs({
  options: {
    config: { type: 'string', default: resolve(root, 'supergraph.yaml') },
    output: { type: 'string', default: resolve(root, 'supergraph.graphql') },
  },
});

try {
  const subgraphs = await loadSupergraphConfig(values.config);
  const sdl = await composeSupergraph(subgraphs);
  await writeFile(values.output, sdl.endsWith('\n') ? sdl : `${sdl}\n`);
  console.log(`composed ${subgraphs.map((s) => s.name).join(', ')} -> ${values.output}`);
} catch (error) {
  console.error(error instanceof CompositionError ? error.message : error);
  process.exit(1);
}
