import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { readCostDirectives } from '../src/features/limits/index.js';
import { createSubgraphClients } from '../src/upstream/index.js';
import { createSupergraph, readJoinGraphs, type SupergraphState } from '../src/supergraph/index.js';

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
  it('is not ready and has no state before it loads; then is, and tells its listeners, late ones too', async () => {
    const clients = createSubgraphClients({ logger: silent });
    const supergraph = createSupergraph({
      source: { kind: 'file', path: supergraphPath },
      buildService: clients.buildService((_name, source) => source),
      logger: silent,
    });
    const updates: SupergraphState[] = [];
    supergraph.onUpdate((state) => updates.push(state));
    await expect(supergraph.ready()).rejects.toThrow('supergraph not loaded');
    expect(supergraph.current()).toBeUndefined();
    try {
      await supergraph.gateway.load();
      await expect(supergraph.ready()).resolves.toBeUndefined();
      expect(updates).toHaveLength(1);
      expect(supergraph.current()).toBe(updates[0]);
      expect([...updates[0]!.subgraphs.keys()].sort()).toEqual(['products', 'reviews', 'users']);
      expect(readCostDirectives(updates[0]!.sdl).listSizes.get('Query.users')?.sizedFields).toEqual(['edges']);
      expect(updates[0]!.sdl).toContain('@join__graph');
      expect(updates[0]!.apiSchema.getQueryType()?.name).toBe('Query');
      // A listener that subscribes after the load is told of the supergraph being served at once.
      const late: SupergraphState[] = [];
      supergraph.onUpdate((state) => late.push(state));
      expect(late).toEqual([updates[0]]);
    } finally {
      await supergraph.gateway.stop();
      await clients.close();
    }
  });
});
