import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';

type Bindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let bindings: Promise<Bindings> | undefined;

/**
 * Loads Prisma's schema engine compiled to WebAssembly, once per process.
 *
 * The package's own entry (`schema_engine.js`) does `import * as wasm from "./x.wasm"`,
 * which Node cannot load, so the module is instantiated here by hand the way
 * wasm-bindgen's bundler output expects: the JS glue is the WASM's only import.
 */
function loadBindings(): Promise<Bindings> {
  bindings ??= (async () => {
    const glue: Bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    // createRequire rather than import.meta.resolve: the latter is missing in some test runners.
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': withUnrefTimers(glue),
    });
    // The engine reports Rust panics through this global before it throws.
    const panics = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(message: string): void } };
    panics.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: () => {} };
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return bindings;
}

/**
 * The engine races its advisory-lock query against a 10-second `setTimeout` and never clears
 * the timer, which kept every process that migrated alive for 10 s after its work was done.
 * Unref'd, the timer still fires while anything else (such as that query's socket) keeps the
 * process running.
 */
function withUnrefTimers(imports: WebAssembly.ModuleImports): WebAssembly.ModuleImports {
  const patched = { ...imports };
  for (const [name, value] of Object.entries(imports)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof value !== 'function') continue;
    patched[name] = (...args: unknown[]) => {
      const timer = (value as (...args: unknown[]) => unknown)(...args) as { unref?: () => void } | undefined;
      timer?.unref?.();
      return timer;
    };
  }
  return patched;
}

/** What the schema engine works on: a database (through a driver adapter) and, optionally, a Prisma schema. */
export interface SchemaEngineOptions {
  /** Driver adapter factory of the target database; must also be able to open a shadow database. */
  adapter: SqlMigrationAwareDriverAdapterFactory;
  /** The Prisma schema (path, content) the engine starts with; only needed for schema-based commands. */
  schema?: { path: string; content: string };
}

/**
 * Starts a WASM schema engine on the given adapter. The caller must `free()` it when done;
 * the adapter's connections are the caller's to close.
 */
export async function createSchemaEngine({ adapter, schema }: SchemaEngineOptions): Promise<SchemaEngine> {
  const { SchemaEngine } = await loadBindings();
  const datamodels: [string, string][] | undefined = schema ? [[schema.path, schema.content]] : undefined;
  // The callback receives the engine's tracing logs; errors reach us as rejections instead.
  return SchemaEngine.new({ datamodels }, () => {}, bindMigrationAwareSqlAdapterFactory(adapter));
}
