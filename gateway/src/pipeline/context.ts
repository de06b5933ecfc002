import type { Identity } from '@tessera/service-kit';

/**
 * What the gateway knows of a request before Apollo sees it, the same for every feature: who it
 * acts for, when it must be answered and what identifies it downstream. Nothing else is put
 * here: what a feature notes about a request it keeps itself, keyed by this object (one per
 * operation: Apollo copies it for each operation of a batch) or by `httpRequest`, and hands to
 * the features that need it through a typed function of its own.
 */
export interface GatewayContext {
  /** Who the request acts for (the identity feature's verdict; anonymous without a token). */
  identity: Identity;
  /** When the whole request must be answered (epoch ms); each subgraph call gets what is left. */
  deadline: number;
  requestId: string;
  /** The client's address (behind `TRUST_PROXY`, the forwarded one). */
  clientAddress?: string;
  /** The client's `traceparent`, passed on to the subgraphs when the gateway records no trace of its own. */
  traceparent?: string;
  /**
   * The HTTP request the operation came in, shared by the operations of one batch: the key of
   * what a guard noted before Apollo ran (the rate limit's charge, a shared answer's ticket).
   * Absent for operations run without HTTP (`executeOperation`).
   */
  httpRequest?: object;
}
