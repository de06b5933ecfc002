import { createHash } from 'node:crypto';

/**
 * Names for PostgreSQL prepared statements, for `PrismaPg`'s `statementNameGenerator`: the same
 * name for the same SQL text, so each pooled connection parses and plans a statement once and
 * then only binds and executes it. Prisma writes a few dozen distinct statements; past `max`
 * distinct texts (a query whose text varies, say with the length of an `IN` list) the rest run
 * unnamed, as before, so no connection holds an unbounded number of prepared statements.
 */
export function createStatementNames(max = 512): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      // An empty name is pg's unnamed statement: parsed for this execution only.
      if (names.size >= max) return '';
      name = `tessera_${createHash('sha256').update(sql).digest('base64url').slice(0, 24)}`;
      names.set(sql, name);
    }
    return name;
  };
}
