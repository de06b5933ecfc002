import { createHash } from 'node:crypto';

/** The labels of progressive `@override` in a supergraph (`@join__field(…, overrideLabel: "…")`), each once. */
export function overrideLabelsOf(supergraphSdl: string): string[] {
  return [...new Set([...supergraphSdl.matchAll(/overrideLabel:\s*"([^"]*)"/g)].map((match) => match[1]!))];
}

const PERCENT = /^percent\((\d+(?:\.\d+)?)\)$/;

/** How a request resolves labels: who it is (stable for a caller), and the other labels an operator turned on. */
export interface LabelInputs {
  /** A stable key for the caller (a token's subject), or one of this request alone (anonymous). */
  callerKey: string;
  /** Labels other than `percent(N)` that are on (`OVERRIDE_LABELS`). */
  enabled: ReadonlySet<string>;
}

/**
 * Each label true or false for one request: `percent(N)` true for N % of callers — the same
 * caller always on the same side of it (a hash of the label and the caller, so two labels split
 * callers independently) — any other label true when the operator turned it on.
 */
export function resolveLabels(labels: readonly string[], { callerKey, enabled }: LabelInputs): Map<string, boolean> {
  const resolved = new Map<string, boolean>();
  for (const label of labels) {
    const percent = PERCENT.exec(label);
    resolved.set(label, percent ? bucketOf(label, callerKey) < Number(percent[1]) : enabled.has(label));
  }
  return resolved;
}

/** Where a caller falls for a label, uniformly in [0, 100). */
export function bucketOf(label: string, callerKey: string): number {
  const digest = createHash('sha256').update(label).update('\u0000').update(callerKey).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}
