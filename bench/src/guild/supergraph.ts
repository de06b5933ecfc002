import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { GUILD_SUBGRAPHS, guildTypeDefs, type GuildSubgraph } from './subgraphs.js';

/** The Guild subgraphs composed with `@apollo/composition`, each routed to `url(name)`. */
export function composeGuildSupergraph(url: (name: GuildSubgraph) => string): string {
  const result = composeServices(GUILD_SUBGRAPHS.map((name) => ({ name, url: url(name), typeDefs: parse(guildTypeDefs(name)) })));
  if (result.errors) throw new Error(`composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl;
}
