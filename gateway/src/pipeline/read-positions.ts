import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;

const READ_POSITION = Symbol('tessera.readPosition');

/**
 * A subgraph fetch that must read at least at database position `lsn` (its caller's last write,
 * or the last write a cache fill must reflect): a copy of `options`, the later position kept when
 * one was set already. The subgraph data source sends it (`x-tessera-read-position`), and the
 * subgraph reads on a replica only once that replica has replayed it.
 */
export function withReadPosition(options: ProcessOptions, lsn: bigint | undefined): ProcessOptions {
  if (lsn === undefined) return options;
  const current = readPositionOf(options);
  if (current !== undefined && current >= lsn) return options;
  return Object.assign({ ...options }, { [READ_POSITION]: lsn });
}

/** The position a fetch must read at, if any. */
export function readPositionOf(options: ProcessOptions): bigint | undefined {
  return (options as ProcessOptions & { [READ_POSITION]?: bigint })[READ_POSITION];
}
