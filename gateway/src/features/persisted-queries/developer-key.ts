import { createHash, timingSafeEqual } from 'node:crypto';

/** Header a developer sends (e.g. from Sandbox) to run free-form queries in `enforce` mode. */
export const DEVELOPER_KEY_HEADER = 'x-tessera-developer-key';

/** Whether a presented header value is one of the developer keys. */
export type DeveloperKeyCheck = (presented: string | undefined) => boolean;

/** Checks a presented key against the configured ones in constant time. */
export function createDeveloperKeyCheck(keys: readonly string[]): DeveloperKeyCheck {
  const digests = keys.map((k) => createHash('sha256').update(k).digest());
  return (presented) => {
    if (typeof presented !== 'string' || presented === '' || digests.length === 0) return false;
    const digest = createHash('sha256').update(presented).digest();
    return digests.some((d) => timingSafeEqual(d, digest));
  };
}
