import { readAuthorizationRequirements, type Requirement } from '@tessera/gateway';

/** A change of who may use a field or type, in the differ's terms. */
export interface AuthorizationChange {
  path: string;
  type: 'AUTHORIZATION_ADDED' | 'AUTHORIZATION_CHANGED' | 'AUTHORIZATION_REMOVED';
  /** Added or changed requirements turn callers away: breaking. Removed ones open data up: dangerous. */
  criticality: 'breaking' | 'dangerous';
  message: string;
}

/**
 * What the API schema diff cannot see: `@authenticated` / `@requiresScopes` live only in the
 * supergraph. A new or stricter requirement breaks clients that could use the field before; a
 * dropped one is reported as dangerous, since it exposes what was protected.
 */
export function authorizationChanges(baseSupergraphSdl: string, newSupergraphSdl: string): AuthorizationChange[] {
  const before = flatten(baseSupergraphSdl);
  const after = flatten(newSupergraphSdl);
  const changes: AuthorizationChange[] = [];
  for (const [path, requirement] of after) {
    const previous = before.get(path);
    if (!previous)
      changes.push({
        path,
        type: 'AUTHORIZATION_ADDED',
        criticality: 'breaking',
        message: `'${path}' now requires ${describe(requirement)}`,
      });
    else if (describe(previous) !== describe(requirement)) {
      changes.push({
        path,
        type: 'AUTHORIZATION_CHANGED',
        criticality: 'breaking',
        message: `'${path}' requires ${describe(requirement)} instead of ${describe(previous)}`,
      });
    }
  }
  for (const [path, requirement] of before) {
    if (!after.has(path))
      changes.push({
        path,
        type: 'AUTHORIZATION_REMOVED',
        criticality: 'dangerous',
        message: `'${path}' no longer requires ${describe(requirement)}`,
      });
  }
  return changes;
}

function flatten(supergraphSdl: string): Map<string, Requirement> {
  const { fields, types } = readAuthorizationRequirements(supergraphSdl);
  return new Map([...types, ...fields]);
}

function describe(requirement: Requirement): string {
  return requirement.scopes ? `scopes ${requirement.scopes.map((all) => all.join(' and ')).join(' or ')}` : 'an authenticated caller';
}
