import { readFile } from 'node:fs/promises';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { z } from 'zod';
import { apiSchemaOf } from '@tessera/gateway';
import { authorizationChanges } from './authorization-changes.js';
import { UsageError, type Finding, type StepResult } from './types.js';

const allowlistSchema = z.array(
  z.object({
    /** Schema coordinate the change is at, as the report prints it (e.g. `Product.description`). */
    path: z.string().min(1),
    /** Change type, e.g. `FIELD_REMOVED`. */
    type: z.string().min(1),
    reason: z.string().min(1, 'every allowed breaking change needs a reason'),
  }),
);
export type Allowlist = z.infer<typeof allowlistSchema>;

/** Reads the committed allowlist of breaking changes; a missing file is an empty list. */
export async function loadAllowlist(path: string): Promise<Allowlist> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const parsed = allowlistSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new UsageError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Step 3: every change between the committed API schema and the new one, classified by
 * @graphql-inspector/core as breaking, dangerous or safe, plus the changes of authorization
 * directives (which only the supergraph carries). Breaking changes fail unless the allowlist
 * names them (path and type) with a reason.
 */
export async function diffStep(baseSupergraphSdl: string, newSupergraphSdl: string, allowlist: Allowlist): Promise<StepResult> {
  const schemaChanges = (await diff(apiSchemaOf(baseSupergraphSdl), apiSchemaOf(newSupergraphSdl))).map((change) => ({
    path: change.path ?? '',
    type: String(change.type),
    message: change.message,
    level:
      change.criticality.level === CriticalityLevel.Breaking
        ? 'breaking'
        : change.criticality.level === CriticalityLevel.Dangerous
          ? 'dangerous'
          : 'safe',
  }));
  const accessChanges = authorizationChanges(baseSupergraphSdl, newSupergraphSdl).map((change) => ({
    ...change,
    level: change.criticality,
  }));
  const findings: Finding[] = [...schemaChanges, ...accessChanges].map(({ path: where, type, message, level }) => {
    if (level !== 'breaking') return { level: level as Finding['level'], where, code: type, message };
    const allowed = allowlist.find((a) => a.path === where && a.type === type);
    return allowed
      ? { level: 'allowed', where, code: type, message, reason: allowed.reason }
      : { level: 'breaking', where, code: type, message };
  });
  const failed = findings.some((f) => f.level === 'breaking');
  return {
    name: 'schema changes',
    status: failed ? 'failed' : 'passed',
    findings,
    ...(failed && { hint: 'a breaking change may be allowed by adding { path, type, reason } to the allowlist' }),
  };
}
