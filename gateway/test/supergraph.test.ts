import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createSubgraphClients } from '../src/subgraphs/index.js';
import { createSupergraph, readJoinGraphs, type SupergraphState } from '../src/supergraph/index.js';
import { RESILIENCE } from './support/resilience.js';

const supergraphPath = resolve(import.meta.dirname, '../../supergraph.graphql');
const silent = pino({ level: 'silent' });

describe('readJoinGraphs', () => {
  it('lists the subgraphs of a supergraph with their composed routing URLs', async () => {
    expect(readJoinGraphs(await readFile(supergraphPath, 'utf8'))).toEqual(
      new Map([
        ['products', 'http://localhost:4002/graphql'],
        ['reviews', 'http://localhost:4003/graphql'],
        ['users', 'http://localhost:4001/graphql'],
      ]),
    );
  });
});

describe('createSupergraph', () => {
  it('is not ready and has no cost directives before it loads; then has both, and tells its listeners', async () => {
    const clients = createSubgraphClients({ resilience: RESILIENCE, logger: silent });
    const supergraph = createSupergraph({
      source: { kind: 'file', path: supergraphPath },
      buildService: clients.buildService,
      logger: silent,
    });
    const updates: SupergraphState[] = [];
    supergraph.onUpdate((state) => updates.push(state));
    await expect(supergraph.ready()).rejects.toThrow('supergraph not loaded');
    expect(supergraph.current()).toBeUndefined();
    expect(supergraph.costDirectives().listSizes.size).toBe(0);
    try {
      await supergraph.gateway.load();
      await expect(supergraph.ready()).resolves.toBeUndefined();
      expect(updates).toHaveLength(1);
      expect(supergraph.current()).toBe(updates[0]);
      expect([...updates[0]!.subgraphs.keys()].sort()).toEqual(['products', 'reviews', 'users']);
      expect(supergraph.costDirectives().listSizes.get('Query.users')?.sizedFields).toEqual(['edges']);
      expect(updates[0]!.sdl).toContain('@join__graph');
    } finally {
      await supergraph.gateway.stop();
      await clients.close();
    }
  });
});
