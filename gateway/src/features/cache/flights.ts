/** One entry being fetched now: whoever missed it meanwhile waits for this fetch instead of starting another. */
interface Flight {
  waiters: number;
  promise: Promise<string | undefined>;
  land(text: string | undefined): void;
}

/** What {@link EntryFlights.claim} decided for a request's missing entries, by their position in its list. */
export interface Claim {
  /** Positions this request fetches: in flight under its name until {@link Claim.land}. */
  own: number[];
  /** Positions another request is fetching now, each with what it will get: the entry, or undefined when it could not be kept. */
  joined: Array<[position: number, value: Promise<unknown>]>;
  /** Hands the fetched entries (by position; absent: not keepable) to whoever joined. Call it once, also when the fetch failed. */
  land(values: ReadonlyMap<number, unknown>): void;
}

/**
 * Single flight for cache entries, within one gateway process: while a request is fetching a
 * missed entry, another request missing the same key (the same entity, selection and — when
 * private — caller) joins that fetch rather than asking the subgraph again. So a cold cache
 * under a burst fetches each entry once, even when the requests' batches differ (identical
 * fetches are already shared by the subgraph data source). What a joiner gets is its own copy
 * (JSON text parsed again): Apollo Gateway merges into the objects it is given. An entry whose
 * fetch failed or answered with an error on it is not handed on: joiners fetch it themselves.
 */
export class EntryFlights {
  private readonly flights = new Map<string, Flight>();

  claim(keys: readonly string[]): Claim {
    const own: number[] = [];
    const joined: Claim['joined'] = [];
    const mine = new Set<string>();
    keys.forEach((key, position) => {
      const flight = mine.has(key) ? undefined : this.flights.get(key);
      if (flight) {
        flight.waiters += 1;
        joined.push([position, flight.promise.then((text) => (text === undefined ? undefined : (JSON.parse(text) as unknown)))]);
        return;
      }
      own.push(position);
      if (mine.has(key)) return;
      mine.add(key);
      let land!: (text: string | undefined) => void;
      const promise = new Promise<string | undefined>((resolve) => (land = resolve));
      this.flights.set(key, { waiters: 0, promise, land });
    });
    let landed = false;
    return {
      own,
      joined,
      land: (values) => {
        if (landed) return;
        landed = true;
        for (const position of own) {
          const key = keys[position]!;
          const flight = this.flights.get(key);
          if (!flight || !mine.delete(key)) continue;
          this.flights.delete(key);
          flight.land(flight.waiters > 0 && values.has(position) ? JSON.stringify(values.get(position)) : undefined);
        }
      },
    };
  }

  /** Entries in flight now. */
  get size(): number {
    return this.flights.size;
  }
}
