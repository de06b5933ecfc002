/**
 * The cost estimate counts a connection's `first`, left out or null, as its schema default;
 * the resolvers return DEFAULT_PAGE_SIZE rows then. The two must agree on every connection.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { apiSchemaOf } from '@tessera/gateway';
import { DEFAULT_PAGE_SIZE } from '@tessera/subgraph-kit';
import { getNamedType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';

describe('page size defaults', () => {
  it('every connection field declares first: Int = DEFAULT_PAGE_SIZE', async () => {
    const schema = apiSchemaOf(await readFile(resolve(import.meta.dirname, '../supergraph.graphql'), 'utf8'));
    const connections = Object.values(schema.getTypeMap())
      .filter(isObjectType)
      .flatMap((type) => Object.values(type.getFields()).map((field) => ({ coordinate: `${type.name}.${field.name}`, field })))
      .filter(({ field }) => getNamedType(field.type).name.endsWith('Connection'));
    expect(connections.map((c) => c.coordinate).sort()).toEqual(['Product.reviews', 'Query.products', 'Query.users', 'User.reviews']);
    for (const { coordinate, field } of connections) {
      expect(field.args.find((arg) => arg.name === 'first')?.defaultValue, coordinate).toBe(DEFAULT_PAGE_SIZE);
    }
  });
});
