import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { OperationTypeNode } from 'graphql';
import { databaseFailureCode, isRecoveryConflict } from '../prisma-errors.js';
import type { ReplicaMonitor } from './monitor.js';

/** What decides where one request's reads go. */
export interface RequestReads {
  /** The database position they must show (the caller's last write, a cache fill's last write), from the gateway. */
  required?: bigint;
  /** The request writes (a mutation): its reads go where its writes do. Known once its operation is. */
  writes: boolean;
}

/**
 * The client a request reads through, for each request: the primary's where there is no replica;
 * else one that stands for the monitor's choice, made on first use — after Apollo resolved the
 * operation (a mutation reads on the primary) and with the position the request must show.
 */
export function createReadRouting<Client extends object>({
  primary,
  replicas,
  monitor,
}: {
  primary: Client;
  replicas: readonly Client[];
  monitor?: ReplicaMonitor;
}): (reads: RequestReads) => Client {
  if (!monitor || replicas.length === 0) return () => primary;
  return (reads) =>
    lazyClient(() => {
      const target = monitor.choose(reads);
      if (target.kind === 'primary') return primary;
      return withFallback(replicas[target.index]!, primary, () => monitor.failed(target.index));
    });
}

/**
 * A replica's client whose reads, should the replica not answer (it went down since the monitor
 * last looked), are read again on the primary — the replica reported, so the next requests avoid
 * it — and the request is answered all the same. A read the replica cancelled for a conflict with
 * its replay is read again on the primary too (the replica stays in rotation).
 */
function withFallback<Client extends object>(replica: Client, primary: Client, failed: () => void): Client {
  const wrap = <T extends object>(target: T, fallback: T): T =>
    new Proxy(target, {
      get(object, key) {
        const value: unknown = Reflect.get(object, key);
        const instead: unknown = Reflect.get(fallback, key);
        if (typeof value === 'function' && typeof instead === 'function')
          return (...args: unknown[]) =>
            Promise.resolve(value.apply(object, args) as unknown).catch((error: unknown) => {
              const down = databaseFailureCode(error) === 'DATABASE_UNAVAILABLE';
              if (!down && !isRecoveryConflict(error)) throw error;
              if (down) failed();
              return instead.apply(fallback, args) as unknown;
            });
        if (isObject(value) && isObject(instead)) return wrap(value, instead);
        return value;
      },
    });
  return wrap(replica, primary);
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** An object standing for `choose()`'s, which is called once, on the first property read. */
function lazyClient<Client extends object>(choose: () => Client): Client {
  let chosen: Client | undefined;
  return new Proxy({} as Client, {
    get(_target, key) {
      chosen ??= choose();
      const value: unknown = Reflect.get(chosen, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(chosen) : value;
    },
  });
}

/** Marks a mutation's reads as a writer's (by the context the request's reads were made for). */
export function createReadsPlugin<Context extends BaseContext>(readsOf: WeakMap<object, RequestReads>): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          const reads = readsOf.get(contextValue);
          if (reads && operation?.operation === OperationTypeNode.MUTATION) reads.writes = true;
        },
      };
    },
  };
}
