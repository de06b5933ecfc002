import { createHash } from 'node:crypto';

/** Kinds of seeded rows; each has its own id space. */
export type SeedKind = 'user' | 'product' | 'review';

/** Seeded rows are dated from here on, one `SEED_STEP_MS` apart, oldest first. */
const SEED_EPOCH_MS = Date.UTC(2025, 0, 1);
const SEED_STEP_MS = 60_000;

/** When the `index`-th seeded row of a kind was created. */
export function seededCreatedAt(index: number): Date {
  return new Date(SEED_EPOCH_MS + index * SEED_STEP_MS);
}

/**
 * The id of the `index`-th seeded row of `kind`: a UUIDv7 whose timestamp is its
 * `createdAt` and whose random bits come from a hash of (kind, index, seed).
 * Every subgraph computes the same ids on its own, so reviews can point at seeded
 * users and products without reading the other databases, and re-seeding finds the
 * rows it wrote before (no duplicates).
 */
export function seededId(kind: SeedKind, index: number, seed: number): string {
  const hex = createHash('sha256').update(`${kind}:${index}:${seed}`).digest('hex');
  const ts = seededCreatedAt(index).getTime().toString(16).padStart(12, '0');
  const variant = ((parseInt(hex[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${hex.slice(0, 3)}-${variant}${hex.slice(4, 7)}-${hex.slice(7, 19)}`;
}
