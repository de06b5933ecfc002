/** Our copy of the audit's `src/testkit.ts`: a test case is a query and what it must answer. */

/** What a case expects: `errors` a boolean (errors or none), or left out (either will do). */
export interface AuditExpectation {
  data?: unknown;
  errors?: boolean;
}

export interface AuditTest {
  query: string;
  expected: AuditExpectation;
}

export function createTest(query: string, expected: AuditExpectation): AuditTest {
  return { query, expected };
}
