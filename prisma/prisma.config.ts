/**
 * Prisma CLI configuration shared by the three schemas (users, products, reviews).
 * The schema is chosen per command with `--schema <name>/schema.prisma` (see the `generate`
 * script in package.json). Only `prisma generate` is expected to work: migrations go through
 * src/migrate.ts and src/create-migration.ts.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

// The CLI downloads a native schema engine before `generate`, which fails offline. It
// skips the download when this variable names an existing file, and `generate` itself
// only uses bundled WASM, so a stub that explains itself is enough. The config is loaded
// before that check, which is why the variable is set here and not in a wrapper script.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(new URL('./engine-stub/schema-engine', import.meta.url));

export default defineConfig({});
