import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { WasmgateError } from '../errors.js';
import type { Constraint, ConstraintTemplate } from './objects.js';
import { isRecord } from './json.js';

// Kubernetes' own keywords (x-kubernetes-*) and formats are not JSON Schema's: not strict, formats unchecked.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new WeakMap<object, ValidateFunction>();


function pathOf(instancePath: string): string {
  return `spec.parameters${instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')}`;
}

function describe(error: ErrorObject): string {
  const at = pathOf(error.instancePath);
  if (error.keyword === 'required') return `${at}.${String((error.params as { missingProperty: string }).missingProperty)}: Required value`;
  if (error.keyword === 'enum') return `${at}: Unsupported value: must be one of ${JSON.stringify((error.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `${at}: ${error.message ?? error.keyword}`;
}

/**
 * Fields a structural schema would prune, which Gatekeeper rejects: keys of an object whose schema
 * lists properties and allows no others (unless it preserves unknown fields).
 */
function unknownFields(value: unknown, schema: unknown, at: string, found: string[]): void {
  if (!isRecord(schema) || schema['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, schema.items, `${at}[${i}]`, found));
    return;
  }
  if (!isRecord(value)) return;
  const properties = isRecord(schema.properties) ? schema.properties : undefined;
  const additional = schema.additionalProperties;
  for (const [key, child] of Object.entries(value)) {
    if (properties && key in properties) unknownFields(child, properties[key], `${at}.${key}`, found);
    else if (isRecord(additional)) unknownFields(child, additional, `${at}.${key}`, found);
    else if (properties && additional !== true) found.push(`${at}.${key}`);
  }
}

/**
 * Checks a constraint's spec.parameters against its template's openAPIV3Schema, as the API server
 * (and gator) would before the constraint exists: wrong types, missing required fields, unknown fields.
 */
export function validateParameters(template: ConstraintTemplate, constraint: Constraint): void {
  const schema = template.parametersSchema;
  if (!schema) return;
  let validate = compiled.get(schema);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      throw new WasmgateError('INPUT_INVALID', `${template.origin}: template ${template.name}: openAPIV3Schema is not a valid schema: ${(err as Error).message}`);
    }
    compiled.set(schema, validate);
  }
  const problems = validate(constraint.parameters) ? [] : (validate.errors ?? []).map(describe);
  const unknown: string[] = [];
  unknownFields(constraint.parameters, schema, 'spec.parameters', unknown);
  problems.push(...unknown.map((path) => `${path}: unknown field`));
  if (problems.length > 0) {
    throw new ParametersError(
      `${constraint.origin}: constraint ${constraint.kind}/${constraint.name}: schema validation failed against template ${template.name}'s openAPIV3Schema:\n  - ${[...new Set(problems)].join('\n  - ')}`,
    );
  }
}

/** Parameters their template's schema rejects (gator's "invalid" tests expect exactly this). */
export class ParametersError extends WasmgateError {
  constructor(message: string) {
    super('INPUT_INVALID', message);
  }
}
