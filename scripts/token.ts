/**
 * `pnpm run token --sub <userId> [--scopes "a b"] [--ttl 1h]`: prints a bearer token signed with
 * JWT_SECRET, else with development's secret (`.data/dev-secrets.json`, made by `pnpm dev`).
 * Issuer and audience: JWT_ISSUER / JWT_AUDIENCE, else development's.
 */
import { parseArgs } from 'node:util';
import { devSecrets, mintToken } from './dev/secrets.ts';

const { values } = parseArgs({
  options: { sub: { type: 'string' }, scopes: { type: 'string', default: '' }, ttl: { type: 'string', default: '1h' } },
});
if (!values.sub) {
  console.error('usage: pnpm run token --sub <userId> [--scopes "users:write reviews:moderate"] [--ttl 1h]');
  process.exit(2);
}
const secret = process.env.JWT_SECRET || (await devSecrets()).jwtSecret;
const scopes = values.scopes.split(/\s+/).filter(Boolean);
console.log(
  await mintToken(
    secret,
    { sub: values.sub, scopes, ttl: values.ttl },
    process.env.JWT_ISSUER || undefined,
    process.env.JWT_AUDIENCE || undefined,
  ),
);
