/** The error table of docs/errors.md and the codes the code can emit are the same set. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode } from '@tessera/service-kit';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../src/index.js';

async function documentedCodes(): Promise<string[]> {
  const page = await readFile(resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
  const start = page.indexOf('\n## Error codes');
  const section = page.slice(start, page.indexOf('\n## ', start + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Z_]+)`/g)].map((match) => match[1]!));
}

describe('error codes', () => {
  it("docs/errors.md's error table lists exactly the codes services and gateway emit", async () => {
    const emitted = new Set<string>([...Object.values(ErrorCode), ...Object.values(GatewayErrorCode)]);
    const documented = await documentedCodes();
    expect(new Set(documented)).toEqual(emitted);
    expect(documented).toHaveLength(new Set(documented).size);
  });
});
