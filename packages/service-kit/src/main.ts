import { ConfigError } from './config.js';

/**
 * Runs a service's async `main`. A configuration error prints its message (which names
 * the variable) without a stack; anything else prints in full. Either way the exit code is 1.
 */
export function runMain(main: () => Promise<void>): void {
  // Through a promise so that a synchronous throw (e.g. while reading config) lands here too.
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      if (error instanceof ConfigError) console.error(error.message);
      else console.error(error);
      process.exit(1);
    });
}
