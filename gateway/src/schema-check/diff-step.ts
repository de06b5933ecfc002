import { readFile } from 'node:fs/promises';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { z } from 'zod';
import { apiSchemaOf } from '../supergraph/index.js';
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
 * @graphql-inspector/core as breaking, dangerous or safe. Breaking changes fail unless the
 * allowlist names them (path and type) with a reason.
 */
export async function diffStep(baseSupergraphSdl: string, newSupergraphSdl: string, allowlist: Allowlist): Promise<StepResult> {
  const changes = await diff(apiSchemaOf(baseSupergraphSdl), apiSchemaOf(newSupergraphSdl));
  const findings: Finding[] = changes.map((change) => {
    const where = change.path;
    if (change.criticality.level === CriticalityLevel.Breaking) {
      const allowed = allowlist.find((a) => a.path === where && a.type === change.type);
      return allowed
        ? { level: 'allowed', where, code: change.type, message: change.message, reason: allowed.reason }
        : { level: 'breaking', where, code: change.type, message: change.message };
    }
    return {
      level: change.criticality.level === CriticalityLevel.Dangerous ? 'dangerous' : 'safe',
      where,
      code: change.type,
      message: change.message,
    };
  });
  const failed = findings.some((f) => f.level === 'breaking');
  return {
    name: 'schema changes',
    status: failed ? 'failed' : 'passed',
    findings,
    ...(failed && { hint: 'a breaking change may be allowed by adding { path, type, reason } to the allowlist' }),
  };
}
