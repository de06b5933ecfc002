/**
 * The documentation stays whole as the tree changes:
 * - docs/adding-a-subgraph.md names every file that names all three subgraphs, so adding a fourth
 *   misses none of them;
 * - every relative link in the README and docs/ leads to a file, and to a heading where it names one;
 * - every repository path the README and docs/ name in backticks exists.
 * Plain file reading: no server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The files to look at: tracked, and new ones not ignored (a file about to be committed counts too). */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  return [...new Set(listed.split('\0').filter(Boolean))].filter((path) => existsSync(join(root, path))).sort();
}

const SUBGRAPHS = ['users', 'products', 'reviews'];

/**
 * Where the three names appear for a reason of their own, so a new subgraph changes nothing there
 * that this list could tell. Kept small: each entry says why.
 */
const NOT_LISTED: Array<[RegExp, string]> = [
  [/^subgraphs\//, "the subgraphs' own code (reviews names the two it asks)"],
  [/\.test\.ts$/, 'tests use the subgraphs as fixtures; step 7 names those that list every service'],
  [/^docs\//, 'the documentation itself; step 10 says which pages to update'],
  [/^(supergraph\.graphql|pnpm-lock\.yaml)$/, 'generated: pnpm compose and pnpm install write them'],
  [/^bench\/src\/guild\//, "The Guild's benchmark: subgraphs of its own, also called products and reviews"],
  [
    /^gateway\/test\/federation-audit\//,
    'the federation gateway audit: suites of its own, some with subgraphs also called users, products and reviews',
  ],
];

/** Names a subgraph as a word in any case: `users`, `USERS_PORT`, `@tessera/users`, `users.yaml`. */
const names = (text: string, subgraph: string) => new RegExp(`(?<![A-Za-z0-9])${subgraph}(?![A-Za-z0-9])`, 'i').test(text);

/** The files naming all three subgraphs, outside {@link NOT_LISTED}. */
function filesNamingEverySubgraph(): string[] {
  return repositoryFiles().filter((path) => {
    if (NOT_LISTED.some(([pattern]) => pattern.test(path))) return false;
    const text = read(path);
    return !text.includes('\0') && SUBGRAPHS.every((subgraph) => names(text, subgraph));
  });
}

/** The Markdown pages the checks below read: the README and every page of docs/. */
const PAGES = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** A page without its fenced code blocks (what they hold is not a link or a path of the page's). */
const prose = (markdown: string) => markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, each space a hyphen, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const text = heading!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
    const base = text
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count ? `${base}-${count}` : base);
  }
  return anchors;
}

describe('adding a subgraph', () => {
  it('docs/adding-a-subgraph.md names every file that names all three subgraphs', () => {
    const page = read('docs/adding-a-subgraph.md');
    const files = filesNamingEverySubgraph();
    // The list itself is found: the files the page's steps start from are in it.
    expect(files).toEqual(expect.arrayContaining(['supergraph.yaml', 'Dockerfile', 'compose.yaml', 'test/helpers/src/platform.ts']));
    expect(files.filter((path) => !page.includes(`\`${path}\``))).toEqual([]);
  });
});

describe('the documentation', () => {
  it('every relative link in the README and docs/ resolves to a file, and to a heading where it names one', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const text = prose(read(page)).replace(/`[^`\n]*`/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path = '', anchor] = target!.split('#');
        const file = path ? join(dirname(page), path) : page;
        if (!existsSync(join(root, file))) broken.push(`${page}: ${target} (no such file)`);
        else if (anchor !== undefined && !(file.endsWith('.md') && anchorsOf(read(file)).has(anchor)))
          broken.push(`${page}: ${target} (no such heading in ${relative('.', file)})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository path the README and docs/ name in backticks exists', () => {
    const top = /^(gateway|subgraphs|packages|prisma|schema-checks|bench|deploy|test|scripts|docs|\.github|\.ci)\//;
    const missing: string[] = [];
    for (const page of PAGES)
      for (const [, span] of prose(read(page)).matchAll(/`([^`\s]+)`/g)) {
        // Placeholders (`<name>`, globs, `…`) and build output (`dist/`) name no file of the tree.
        if (!top.test(span!) || /[<*…]|\/dist\//.test(span!)) continue;
        const braces = /\{([^}]*)\}/.exec(span!);
        const paths = braces ? braces[1]!.split(',').map((part) => span!.replace(braces[0], part)) : [span!];
        missing.push(...paths.filter((path) => !existsSync(join(root, path))).map((path) => `${page}: ${path}`));
      }
    expect(missing).toEqual([]);
  });
});
