// Summarises a V8 .cpuprofile: self time by function and by package, top N.
import { readFileSync } from 'node:fs';
import process from 'node:process';
const [file, top = 40] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++)
  dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
let total = 0;
const byPkg = new Map();
for (const [id, us] of dt) {
  const { callFrame } = byId.get(id);
  const url = callFrame.url.replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace('file:///work/main/', '');
  const key = `${callFrame.functionName || '(anon)'} ${url}:${callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + us);
  const pkg = url.startsWith('@') ? url.split('/').slice(0, 2).join('/') : url.split('/')[0] || callFrame.functionName;
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  total += us;
}
const show = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(top))
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
process.stdout.write(`total ${(total / 1e6).toFixed(1)} s\n-- by package\n${show(byPkg)}\n-- by function\n${show(self)}\n`);
