/** One finding of a schema check, printable and serialisable. */
export interface Finding {
  level: 'error' | 'breaking' | 'dangerous' | 'safe' | 'allowed';
  message: string;
  /** Where: a subgraph, a schema coordinate, or an operation file. */
  where?: string;
  code?: string;
  /** Why a breaking change is allowed (from the allowlist). */
  reason?: string;
}

/** The outcome of one step. */
export interface StepResult {
  name: 'composition' | 'supergraph file' | 'schema changes' | 'client operations';
  status: 'passed' | 'failed' | 'skipped';
  findings: Finding[];
  /** A hint for fixing a failure (e.g. "run pnpm compose"). */
  hint?: string;
}

/** A usage or configuration problem: exit code 2, not a failed check. */
export class UsageError extends Error {
  override name = 'UsageError';
}
