import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import { markSecurityEnforced } from './security.js';

/** The client-facing API schema of a supergraph SDL (what the gateway executes against). */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(markSecurityEnforced(supergraphSdl)).apiSchema().toGraphQLJSSchema({ includeDefer: true });
}
