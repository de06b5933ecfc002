import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse, type GraphQLSchema } from 'graphql';
import { IN_STOCK, PRODUCTS, REVIEWS, USERS, type GuildReview } from './data.js';

/**
 * The four subgraphs of The Guild's gateway benchmark (accounts, inventory, products,
 * reviews), written as Federation 2 schemas that compose to the same supergraph, with the
 * same resolvers as its Rust originals — including their quirks: every review's author is
 * user 1 ("urigo") with reviews 1–2, a `User` reference gets username "user", and the
 * inventory's entity resolver ignores the `price` and `weight` it is sent, so
 * `shippingEstimate` is always null (the benchmark's expected answer says so).
 */
const LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides"])';

const sdl: Record<GuildSubgraph, string> = {
  accounts: `${LINK}
    type Query { me: User user(id: ID!): User users: [User] }
    type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }`,
  inventory: `${LINK}
    type Product @key(fields: "upc") {
      upc: String!
      weight: Int @external
      price: Int @external
      inStock: Boolean
      shippingEstimate: Int @requires(fields: "price weight")
    }`,
  products: `${LINK}
    type Query { topProducts(first: Int = 5): [Product] }
    type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
  reviews: `${LINK}
    type Review @key(fields: "id") { id: ID! body: String product: Product author: User @provides(fields: "username") }
    type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
    type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
};

export const GUILD_SUBGRAPHS = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type GuildSubgraph = (typeof GUILD_SUBGRAPHS)[number];

const reviewOut = (review: GuildReview) => ({ id: review.id, body: review.body, product: { upc: review.productUpc } });
const firstTwoReviews = () => REVIEWS.slice(0, 2).map(reviewOut);

const resolvers: Record<GuildSubgraph, GraphQLResolverMap<unknown>> = {
  accounts: {
    Query: { me: () => USERS[0], user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id) ?? null, users: () => USERS },
    User: { __resolveReference: ({ id }: { id: string }) => USERS.find((u) => u.id === id) },
  },
  inventory: {
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => ({ upc, inStock: IN_STOCK[upc], price: null, weight: null }),
      shippingEstimate: ({ price, weight }: { price: number | null; weight: number | null }) =>
        price === null ? null : price > 1000 ? 0 : weight === null ? null : Math.trunc(weight / 2),
    },
  },
  products: {
    Query: { topProducts: (_: unknown, { first }: { first?: number | null }) => PRODUCTS.slice(0, first ?? 5) },
    Product: { __resolveReference: ({ upc }: { upc: string }) => PRODUCTS.find((p) => p.upc === upc) },
  },
  reviews: {
    Review: {
      __resolveReference: ({ id }: { id: string }) => reviewOut(REVIEWS.find((r) => r.id === id)!),
      author: () => ({ id: '1', username: 'urigo', reviews: firstTwoReviews() }),
    },
    User: { __resolveReference: ({ id }: { id: string }) => ({ id, username: 'user', reviews: firstTwoReviews() }) },
    Product: {
      __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
      reviews: ({ upc }: { upc: string }) => REVIEWS.filter((r) => r.productUpc === upc).map(reviewOut),
    },
  },
};

/** Each subgraph's SDL (for composition). */
export function guildTypeDefs(name: GuildSubgraph): string {
  return sdl[name];
}

/** Each subgraph's executable schema. */
export function guildSchema(name: GuildSubgraph): GraphQLSchema {
  return buildSubgraphSchema({ typeDefs: parse(sdl[name]), resolvers: resolvers[name] });
}
