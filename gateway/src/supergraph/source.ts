import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '@tessera/service-kit';
import { composeSupergraph } from './compose.js';
import { loadSupergraphConfig } from './config.js';

/** Where the gateway gets its supergraph. */
export type SupergraphSourceOptions =
  /** Production: a composed supergraph file, like Apollo Router's `--supergraph`. */
  | { kind: 'file'; path: string }
  /** Development: compose `supergraph.yaml`'s schema files now and again whenever one changes. */
  | { kind: 'compose'; configPath: string; debounceMs?: number };

/** A `supergraphSdl` hook for `ApolloGateway` serving the chosen source. */
export function createSupergraphSource(options: SupergraphSourceOptions, logger: Logger): SupergraphSdlHook {
  if (options.kind === 'file') {
    return async () => {
      const supergraphSdl = await readFile(options.path, 'utf8');
      logger.info({ path: options.path }, 'loaded supergraph file');
      return { supergraphSdl };
    };
  }
  return async ({ update }) => {
    const subgraphs = await loadSupergraphConfig(options.configPath);
    const supergraphSdl = await composeSupergraph(subgraphs);
    logger.info({ subgraphs: subgraphs.map((s) => s.name) }, 'composed supergraph from subgraph schemas');

    let timer: NodeJS.Timeout | undefined;
    // Never rejects: a failed composition is logged.
    const recomposeNow = async () => {
      try {
        update(await composeSupergraph(subgraphs));
        logger.info('schema file changed: recomposed supergraph');
      } catch (error) {
        // Keep serving the last good supergraph; the developer sees why in the log.
        logger.error({ err: error }, 'recomposition failed: still serving the previous supergraph');
      }
    };
    const recompose = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void recomposeNow(), options.debounceMs ?? 200);
    };
    const watchers: FSWatcher[] = subgraphs.map(({ schemaPath }) => watch(schemaPath, recompose));
    return {
      supergraphSdl,
      cleanup: async () => {
        clearTimeout(timer);
        for (const watcher of watchers) watcher.close();
      },
    };
  };
}
