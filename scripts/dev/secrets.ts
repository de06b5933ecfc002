/**
 * Development's own secrets: a JWT secret and a request-signing key, generated once under
 * `.data/` and shared by the four processes of `pnpm dev` and by `pnpm run token`. Never used
 * outside development (production refuses to start without its own).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEVELOPMENT_TOKENS } from '@tessera/service-kit';
import { SignJWT } from 'jose';

export const DEV_SECRETS_PATH = resolve(import.meta.dirname, '../../.data/dev-secrets.json');

export interface DevSecrets {
  jwtSecret: string;
  signingKey: string;
}

/** The secrets, created on first use (a second process racing the first reads what it wrote). */
export async function devSecrets(): Promise<DevSecrets> {
  const existing = await readFile(DEV_SECRETS_PATH, 'utf8').catch(() => undefined);
  if (existing) return JSON.parse(existing) as DevSecrets;
  const created: DevSecrets = { jwtSecret: randomBytes(32).toString('base64url'), signingKey: randomBytes(32).toString('base64url') };
  await mkdir(dirname(DEV_SECRETS_PATH), { recursive: true });
  try {
    await writeFile(DEV_SECRETS_PATH, `${JSON.stringify(created, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    return created;
  } catch {
    return JSON.parse(await readFile(DEV_SECRETS_PATH, 'utf8')) as DevSecrets;
  }
}

/** The variables that give the services development's secrets. */
export function devSecretsEnv(secrets: DevSecrets): Record<string, string> {
  return { JWT_SECRET: secrets.jwtSecret, SUBGRAPH_SIGNING_KEYS: `dev:${secrets.signingKey}` };
}

/** Options of {@link mintToken}. */
export interface TokenRequest {
  sub: string;
  scopes?: string[];
  /** Lifetime, as jose reads it (`1h`, `30m`, `7d`). @default '1h' */
  ttl?: string;
}

/** An HS256 token signed with `secret`, as an identity provider would issue it. */
export function mintToken(
  secret: string,
  { sub, scopes = [], ttl = '1h' }: TokenRequest,
  issuer: string = DEVELOPMENT_TOKENS.issuer,
  audience: string = DEVELOPMENT_TOKENS.audience,
): Promise<string> {
  return new SignJWT({ ...(scopes.length && { scope: scopes.join(' ') }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
}
