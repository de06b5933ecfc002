export { runSchemaCheck, type SchemaCheckOptions } from './run.js';
export { formatReport } from './report.js';
export { UsageError, type Finding, type StepResult } from './types.js';
