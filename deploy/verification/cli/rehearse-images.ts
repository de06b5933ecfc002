/**
 * `pnpm --filter @tessera/deploy image:rehearse [dir]`: builds the Dockerfile's four service
 * images without a container engine (see image-rehearsal.ts) into `dir` (default: a new
 * temporary directory) and prints what each holds and runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rehearseImages } from '../image-rehearsal.js';

const SERVICES = ['gateway', 'users', 'products', 'reviews'];
const root = resolve(process.argv[2] ?? mkdtempSync(join(tmpdir(), 'tessera-images-')));
const images = await rehearseImages({
  context: resolve(import.meta.dirname, '../../..'),
  root,
  targets: SERVICES,
  log: (line) => process.stderr.write(`${line}\n`),
});
for (const [name, image] of Object.entries(images)) {
  const size = execFileSync('du', ['-sh', join(image.root, image.workdir)], { encoding: 'utf8' }).split('\t')[0];
  console.log(
    `${name}: ${image.root}${image.workdir} (${size}), user ${image.user || 'root'}, runs ${[...image.entrypoint, ...image.cmd].join(' ')}, exposes ${image.exposed.join(', ')}, healthcheck ${image.healthcheck ? 'yes' : 'none'}`,
  );
}
