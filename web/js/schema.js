// A JSON Schema checker for the few keywords our schemas use, the twin of core/schema.py (a test holds
// them to the same answers): type, required, properties, additionalProperties, items, minItems,
// maxItems, minLength and minimum. The first problem found is a sentence naming the field by its path.

const TYPES = {
  object: (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
  array: (value) => Array.isArray(value),
  string: (value) => typeof value === 'string',
  integer: (value) => Number.isInteger(value),
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  boolean: (value) => typeof value === 'boolean',
  null: (value) => value === null,
};
const TYPE_ORDER = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'];

const joined = (path, key) => (path ? `${path}.${key}` : key);
const typeName = (value) => TYPE_ORDER.find((kind) => TYPES[kind](value));

// What is wrong with value against schema, or null.
export function schemaProblem(value, schema, path = '') {
  const named = path ? `"${path}"` : 'it';
  const allowed = typeof schema.type === 'string' ? [schema.type] : schema.type;
  if (allowed && !allowed.some((kind) => TYPES[kind](value))) {
    return `${named} must be ${allowed.join(' or ')}, not ${typeName(value)}`;
  }
  if (TYPES.object(value)) return objectProblem(value, schema, path);
  if (Array.isArray(value)) return arrayProblem(value, schema, path, named);
  if (typeof value === 'string' && value.length < (schema.minLength || 0)) {
    return schema.minLength === 1 ? `${named} must not be empty` : `${named} must have at least ${schema.minLength} characters`;
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) {
    return `${named} must be at least ${schema.minimum}, not ${value}`;
  }
  return null;
}

function objectProblem(value, schema, path) {
  for (const key of schema.required || []) {
    if (!Object.hasOwn(value, key)) return `"${joined(path, key)}" is missing`;
  }
  const properties = schema.properties || {};
  const others = schema.additionalProperties === undefined ? true : schema.additionalProperties;
  for (const [key, item] of Object.entries(value)) {
    const below = Object.hasOwn(properties, key) ? properties[key] : others;
    if (below === false) return `"${joined(path, key)}" is not allowed here`;
    const problem = typeof below === 'object' ? schemaProblem(item, below, joined(path, key)) : null;
    if (problem) return problem;
  }
  return null;
}

function arrayProblem(value, schema, path, named) {
  if (value.length < (schema.minItems || 0)) return `${named} must have at least ${schema.minItems} items, not ${value.length}`;
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    return `${named} must have at most ${schema.maxItems} items, not ${value.length}`;
  }
  for (let number = 0; number < value.length; number += 1) {
    const problem = schemaProblem(value[number], schema.items || {}, `${path}[${number}]`);
    if (problem) return problem;
  }
  return null;
}
