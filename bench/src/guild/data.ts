/**
 * The data of The Guild's graphql-gateways-benchmark subgraphs (github.com/graphql-hive/
 * graphql-gateways-benchmark, `subgraphs/*.rs`), value for value, so that every gateway's
 * answer to its `TestQuery` is the one that benchmark checks.
 */
export interface GuildUser {
  id: string;
  name: string;
  username: string;
  birthday: number;
}

export interface GuildProduct {
  upc: string;
  name: string;
  price: number;
  weight: number;
}

export interface GuildReview {
  id: string;
  body: string;
  productUpc: string;
}

const user = (id: string, name: string, username: string): GuildUser => ({ id, name, username, birthday: 1234567890 });

export const USERS: readonly GuildUser[] = [
  user('1', 'Uri Goldshtein', 'urigo'),
  user('2', 'Dotan Simha', 'dotansimha'),
  user('3', 'Kamil Kisiela', 'kamilkisiela'),
  user('4', 'Arda Tanrikulu', 'ardatan'),
  user('5', 'Gil Gardosh', 'gilgardosh'),
  user('6', 'Laurin Quast', 'laurin'),
];

export const PRODUCTS: readonly GuildProduct[] = [
  { upc: '1', name: 'Table', price: 899, weight: 100 },
  { upc: '2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: '3', name: 'Glass', price: 15, weight: 20 },
  { upc: '4', name: 'Chair', price: 499, weight: 100 },
  { upc: '5', name: 'TV', price: 1299, weight: 1000 },
  { upc: '6', name: 'Lamp', price: 6999, weight: 300 },
  { upc: '7', name: 'Grill', price: 3999, weight: 2000 },
  { upc: '8', name: 'Fridge', price: 100000, weight: 6000 },
  { upc: '9', name: 'Sofa', price: 9999, weight: 800 },
];

/** Stock by UPC (the inventory subgraph). */
export const IN_STOCK: Readonly<Record<string, boolean>> = {
  1: true,
  2: false,
  3: false,
  4: false,
  5: true,
  6: true,
  7: true,
  8: false,
  9: true,
};

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const SED_UT =
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugi';
const SED_QUIA =
  'sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.';
const UT_ENIM =
  'Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem';
const AT_VERO =
  'At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus. Temporibus autem quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae sint et molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus maiores alias consequatur aut perferendis doloribus asperiores repellat.';

export const REVIEWS: readonly GuildReview[] = [
  [LOREM, '1'],
  [SED_UT, '1'],
  [SED_QUIA, '1'],
  [UT_ENIM, '1'],
  [LOREM, '2'],
  [SED_UT, '2'],
  [SED_QUIA, '2'],
  [UT_ENIM, '2'],
  [UT_ENIM, '3'],
  [UT_ENIM, '4'],
  [AT_VERO, '4'],
].map(([body, productUpc], index) => ({ id: String(index + 1), body: body!, productUpc: productUpc! }));
