import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

describe('createLogger', () => {
  it('tags every line with the service, at the level asked for', () => {
    const logger = createLogger({ service: 'users', level: 'warn' });
    expect(logger.bindings()).toEqual({ service: 'users' });
    expect(logger.level).toBe('warn');
    expect(logger.isLevelEnabled('info')).toBe(false);
    expect(createLogger({ service: 'x' }).level).toBe('info');
  });
});
