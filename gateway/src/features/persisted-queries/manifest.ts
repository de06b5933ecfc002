import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Apollo's persisted query manifest (what `generate-persisted-query-manifest` writes). */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string().optional(),
      type: z.enum(['query', 'mutation', 'subscription']).optional(),
      body: z.string().min(1),
    }),
  ),
});
export type PersistedQueryManifest = z.infer<typeof manifestSchema>;

/** Parses and checks a manifest; the error names what is wrong (for the publish command). */
export function parseManifest(json: unknown): PersistedQueryManifest {
  const result = manifestSchema.safeParse(json);
  if (!result.success) {
    throw new Error(
      `not an apollo-persisted-query-manifest v1: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}

/** SHA-256 of an operation's text, hex — the APQ hash and the default manifest id. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
