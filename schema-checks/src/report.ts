import type { StepResult } from './types.js';

const MARK: Record<StepResult['status'], string> = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' };

/** The human-readable report: one block per step, failures and their hints first in each. */
export function formatReport(steps: StepResult[]): string {
  const lines: string[] = [];
  for (const step of steps) {
    lines.push(`${MARK[step.status]} ${step.name}`);
    for (const f of step.findings) {
      const code = f.code ? `[${f.code}] ` : '';
      const where = f.where ? `${f.where}: ` : '';
      lines.push(`     ${f.level.padEnd(9)} ${where}${code}${f.message}${f.reason ? ` (allowed: ${f.reason})` : ''}`);
    }
    if (step.hint) lines.push(`     hint: ${step.hint}`);
  }
  const failed = steps.filter((s) => s.status === 'failed').length;
  lines.push('', failed ? `schema check failed: ${failed} step(s)` : 'schema check passed');
  return lines.join('\n');
}
