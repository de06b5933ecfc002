import { describe, expect, it } from 'vitest';
import { describeEngineError } from '../src/errors.ts';

describe('describeEngineError', () => {
  it('keeps the message above the span trace and names the migration', () => {
    const error = new Error(
      'external connector error\nUnique constraint failed: (id)\n   0: sql_schema_connector::apply_migration::apply_script\n' +
        '           with migration_name="20200101000001_broken"\n             at apply_migration.rs:113',
    );
    expect(describeEngineError(error)).toEqual({
      message: 'external connector error\nUnique constraint failed: (id)',
      migrationName: '20200101000001_broken',
    });
  });

  it('accepts a message without a trace', () => {
    expect(describeEngineError('plain')).toEqual({ message: 'plain' });
  });
});
