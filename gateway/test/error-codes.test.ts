/** The README's error table and the codes the code can emit are the same set. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode } from '@tessera/service-kit';
import { describe, expect, it } from 'vitest';
import { GatewayErrorCode } from '../src/index.js';

async function documentedCodes(): Promise<string[]> {
  const readme = await readFile(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### Errors'), readme.indexOf('\n### ', readme.indexOf('\n### Errors') + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`([A-Z_]+)`/g)].map((match) => match[1]!));
}

describe('error codes', () => {
  it("the README's error table lists exactly the codes services and gateway emit", async () => {
    const emitted = new Set<string>([...Object.values(ErrorCode), ...Object.values(GatewayErrorCode)]);
    const documented = await documentedCodes();
    expect(new Set(documented)).toEqual(emitted);
    expect(documented).toHaveLength(new Set(documented).size);
  });
});
