/** Authorization directives applied to operations: the pure filter, over every kind of selection. */
import { buildSchema, Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  dataOfNothing,
  filterOperation,
  insertNulls,
  readAuthorizationRequirements,
  removePlaceholders,
  type Caller,
} from '../src/features/authorization/index.js';

const SDL = /* GraphQL */ `
  directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
  directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
  type Query {
    me: User
    users: [User!]!
    maybeUsers: [User]
    node(id: ID!): Node
    search: [Result!]!
    secret: Secret!
    post: Post
  }
  type Mutation {
    publish: Post @requiresScopes(scopes: [["editor"]])
    ping: Boolean
  }
  interface Node {
    id: ID!
    label: String
  }
  type User implements Node {
    id: ID!
    label: String
    name: String!
    email: String @authenticated
    ssn: String! @requiresScopes(scopes: [["pii"]])
    posts: [Post!]!
  }
  type Post implements Node {
    id: ID!
    label: String @authenticated
    title: String!
    draft: String @requiresScopes(scopes: [["editor"], ["admin", "pii"]])
  }
  type Secret @authenticated {
    code: String!
  }
  union Result = User | Post
`;
const schema = buildSchema(SDL);
const requirements = readAuthorizationRequirements(SDL);
const anonymous: Caller = { authenticated: false, scopes: new Set() };
const signedIn = (...scopes: string[]): Caller => ({ authenticated: true, scopes: new Set(scopes) });

function filter(query: string, caller: Caller) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const result = filterOperation(schema, document, operation, requirements, caller);
  return { ...result, original: document, printed: result.document && print(result.document).replace(/\s+/g, ' ') };
}

describe('readAuthorizationRequirements', () => {
  it('reads field and type requirements, scopes as alternatives of sets', () => {
    expect(requirements.fields.get('User.email')).toEqual({ authenticated: true });
    expect(requirements.fields.get('Post.draft')).toEqual({ authenticated: true, scopes: [['editor'], ['admin', 'pii']] });
    expect(requirements.types.get('Secret')).toEqual({ authenticated: true });
    expect(requirements.fields.has('User.name')).toBe(false);
  });
});

describe('filterOperation', () => {
  it('leaves an operation the caller may see whole — the very same document', () => {
    const result = filter('{ me { id email } }', signedIn());
    expect(result.unauthorized).toEqual([]);
    expect(result.document).toBe(result.original);
  });

  it('takes out a field the caller may not see, reporting its path under its alias, and nulls it', () => {
    const result = filter('{ a: me { id e: email } }', anonymous);
    expect(result.printed).toBe('{ a: me { id } }');
    expect(result.unauthorized).toEqual([['a', 'e']]);
    expect(result.nulls).toEqual([['a', 'e']]);
  });

  it('writes @ for the items of a list', () => {
    expect(filter('{ users { name email } }', anonymous)).toMatchObject({
      printed: '{ users { name } }',
      unauthorized: [['users', '@', 'email']],
      nulls: [['users', '@', 'email']],
    });
  });

  it('keeps an object whose every field was taken out, with __typename, so its nulls have a place — a placeholder the response loses', () => {
    expect(filter('{ me { email } }', anonymous)).toMatchObject({
      printed: '{ me { __typename } }',
      nulls: [['me', 'email']],
      placeholders: [['me']],
    });
    expect(filter('{ users { email } }', anonymous)).toMatchObject({ printed: '{ users { __typename } }', placeholders: [['users', '@']] });
    // A __typename the client asked for is its own: no placeholder.
    expect(filter('{ me { __typename email } }', anonymous)).toMatchObject({ printed: '{ me { __typename } }', placeholders: [] });
    const data = { me: { __typename: 'User' }, users: [{ __typename: 'User' }, { __typename: 'User' }] };
    removePlaceholders(data, [['me'], ['users', '@']]);
    insertNulls(data, [
      ['me', 'email'],
      ['users', '@', 'email'],
    ]);
    expect(data).toEqual({ me: { email: null }, users: [{ email: null }, { email: null }] });
  });

  it('bubbles a removed non-null field up to the nearest nullable place: the field, a list item, or all of data', () => {
    expect(filter('{ me { id ssn } post { id } }', anonymous)).toMatchObject({
      printed: '{ post { id } }',
      unauthorized: [['me', 'ssn']],
      nulls: [['me']],
      dataIsNull: false,
    });
    expect(filter('{ maybeUsers { id ssn } }', anonymous)).toMatchObject({
      printed: '{ maybeUsers { __typename } }',
      nulls: [['maybeUsers', '@']],
    });
    expect(filter('{ users { id ssn } post { id } }', anonymous)).toMatchObject({ document: undefined, dataIsNull: true });
    expect(filter('{ secret { code } }', signedIn())).toMatchObject({ unauthorized: [] });
    expect(filter('{ secret { code } }', anonymous)).toMatchObject({ document: undefined, unauthorized: [['secret']], dataIsNull: true });
  });

  it('applies a fragment wherever it is spread, inlining it', () => {
    const result = filter('{ me { ...U } users { ...U } } fragment U on User { name email }', anonymous);
    expect(result.printed).toBe('{ me { ... on User { name } } users { ... on User { name } } }');
    expect(result.unauthorized).toEqual([
      ['me', 'email'],
      ['users', '@', 'email'],
    ]);
  });

  it('checks fields on an interface against every implementation, and type conditions on each', () => {
    expect(filter('{ node(id: "1") { id label } }', anonymous)).toMatchObject({
      printed: '{ node(id: "1") { id } }',
      unauthorized: [['node', 'label']],
    });
    expect(filter('{ node(id: "1") { id label } }', signedIn()).unauthorized).toEqual([]);
    const inline = filter('{ node(id: "1") { id ... on User { email } ... on Post { draft } } }', signedIn('editor'));
    expect(inline.unauthorized).toEqual([]);
    expect(filter('{ node(id: "1") { id ... on User { email } ... on Post { draft } } }', anonymous)).toMatchObject({
      printed: '{ node(id: "1") { id } }',
      unauthorized: [
        ['node', 'email'],
        ['node', 'draft'],
      ],
    });
  });

  it('goes into the members of a union', () => {
    expect(filter('{ search { ... on User { name email } ... on Post { title } } }', anonymous)).toMatchObject({
      printed: '{ search { ... on User { name } ... on Post { title } } }',
      unauthorized: [['search', '@', 'email']],
    });
  });

  it('reads @requiresScopes as alternatives of sets: every scope of at least one set', () => {
    expect(filter('{ post { draft } }', signedIn('admin')).unauthorized).toEqual([['post', 'draft']]);
    expect(filter('{ post { draft } }', signedIn('admin', 'pii')).unauthorized).toEqual([]);
    expect(filter('{ post { draft } }', signedIn('editor')).unauthorized).toEqual([]);
  });

  it('reports an unauthorized root field of a mutation (the plugin then runs nothing)', () => {
    expect(filter('mutation { publish { id } ping }', signedIn()).unauthorized).toEqual([['publish']]);
  });
});

describe('the response of a filtered operation', () => {
  it('gets nulls where fields were taken out, for each list item, and not under a null object', () => {
    const data = {
      me: { id: '1' },
      users: [{ name: 'a' }, { name: 'b' }],
      none: null,
      maybeUsers: [{ __typename: 'User' }, { __typename: 'User' }],
    };
    insertNulls(data, [
      ['me', 'email'],
      ['users', '@', 'email'],
      ['none', 'email'],
      ['maybeUsers', '@'],
    ]);
    expect(data).toEqual({
      me: { id: '1', email: null },
      users: [
        { name: 'a', email: null },
        { name: 'b', email: null },
      ],
      none: null,
      maybeUsers: [null, null],
    });
  });

  it('is all nulls, or null, when nothing of the operation remains', () => {
    expect(dataOfNothing([['me'], ['post']], false)).toEqual({ me: null, post: null });
    expect(dataOfNothing([], true)).toBeNull();
  });
});
