export * from './ast.js';
export { parseFilter, filterError, tokenize, FIELD_NAMES } from './parser.js';
