import {
  callerWritesKey,
  decodePosition,
  ON_PRIMARY,
  raisePosition,
  WRITE_POSITION_EXTENSION,
  type Logger,
  type RedisClient,
} from '@tessera/service-kit';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import { isOperationFetch, withReadPosition, type GatewayContext, type GatewayFeature } from '../../pipeline/index.js';

/** Options of {@link createReadYourWrites}. */
export interface ReadYourWritesOptions {
  /** Where every gateway keeps callers' last writes; none: this gateway alone remembers. */
  redis?: RedisClient;
  keyPrefix: string;
  /** How long a caller's last write is remembered (`READ_YOUR_WRITES_TTL_SECONDS`): longer than a replica may lag and still take reads. */
  ttlSeconds: number;
  logger: Logger;
  registry?: Registry;
}

/** The read-your-writes defaults. */
export const READ_YOUR_WRITES_DEFAULTS = { ttlSeconds: 60 } as const;

/**
 * Read your writes, across gateways: a subgraph's answer to a write says where in its database it
 * committed (`extensions.writePosition`); that position is remembered for the caller (the token's
 * subject) per subgraph — in Redis, shared by every gateway, and in this process — and the
 * caller's later fetches to that subgraph carry it (`x-tessera-read-position`), so the subgraph
 * reads on a replica only once the replica has replayed the write, else on its primary. Other
 * callers carry nothing and read within the replicas' lag bound. When Redis cannot say where a
 * caller's writes are, that caller reads on the primaries: never an older answer than it wrote.
 */
export function createReadYourWrites({ redis, keyPrefix, ttlSeconds, logger, registry }: ReadYourWritesOptions): GatewayFeature {
  const local = new LRUCache<string, Map<string, bigint>>({ max: 50_000, ttl: ttlSeconds * 1_000 });
  const perRequest = new WeakMap<GatewayContext, Promise<CallerWrites>>();
  const carried = new Counter({
    name: 'gateway_read_positions_total',
    help: "Subgraph fetches sent with the caller's last write position (read your writes), by subgraph.",
    labelNames: ['subgraph'],
    registers: registry ? [registry] : [],
  });
  const positionsOf = (caller: string): Promise<CallerWrites> => loadPositions(redis, keyPrefix, caller, local, logger);
  const remember = async (caller: string, subgraph: string, lsn: bigint) => {
    const known = local.get(caller) ?? new Map<string, bigint>();
    if ((known.get(subgraph) ?? -1n) < lsn) known.set(subgraph, lsn);
    local.set(caller, known);
    await raisePosition(redis!, callerWritesKey(keyPrefix, caller), lsn, ttlSeconds * 1_000, subgraph).catch((error: unknown) =>
      logger.warn(
        { err: error, subgraph },
        "a caller's write position was not kept in redis: this gateway reads it on the primary, others may read a replica without the write",
      ),
    );
  };
  return {
    name: 'read your writes',
    wrapSubgraph: (subgraph, source) => ({
      async process(options) {
        if (!isOperationFetch(options)) return source.process(options);
        const caller = options.context.identity.sub;
        if (caller === undefined) return source.process(options);
        let positions = perRequest.get(options.context);
        if (!positions) perRequest.set(options.context, (positions = positionsOf(caller)));
        const { known, unknown } = await positions;
        const required = unknown ? ON_PRIMARY : known.get(subgraph);
        if (required !== undefined) carried.inc({ subgraph });
        const result = await source.process(withReadPosition(options, required));
        const written = decodePosition(result.extensions?.[WRITE_POSITION_EXTENSION] as string | undefined);
        if (written !== undefined) {
          // Later fetches of this request too.
          if ((known.get(subgraph) ?? -1n) < written) known.set(subgraph, written);
          if (redis) await remember(caller, subgraph, written);
          else local.set(caller, known);
        }
        return result;
      },
    }),
  };
}

/** A caller's last write positions by subgraph; `unknown` when Redis could not say (then every read goes to a primary). */
interface CallerWrites {
  known: Map<string, bigint>;
  unknown: boolean;
}

/** A caller's last write positions by subgraph: Redis's (shared) raised by this process's own. */
async function loadPositions(
  redis: RedisClient | undefined,
  keyPrefix: string,
  caller: string,
  local: LRUCache<string, Map<string, bigint>>,
  logger: Logger,
): Promise<CallerWrites> {
  const positions = new Map(local.get(caller) ?? []);
  if (!redis) return { known: positions, unknown: false };
  try {
    const stored = await redis.hgetall(callerWritesKey(keyPrefix, caller));
    for (const [subgraph, value] of Object.entries(stored)) {
      const lsn = decodePosition(value);
      if (lsn !== undefined && (positions.get(subgraph) ?? -1n) < lsn) positions.set(subgraph, lsn);
    }
    return { known: positions, unknown: false };
  } catch (error) {
    logger.warn({ err: error }, "a caller's write positions could not be read from redis: its reads go to the primaries");
    return { known: positions, unknown: true };
  }
}
