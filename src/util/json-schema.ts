/**
 * The subset of JSON Schema (2020-12) that scenario.schema.json uses, as a type. A `oneOf`
 * is always a discriminated union: every branch fixes the same key with `const`.
 */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  format?: 'duration' | 'rate' | 'percent';
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  description?: string;
}

/** The key every branch of a discriminated `oneOf` fixes with `const`, or undefined when there is none. */
export function discriminator(branches: readonly JsonSchema[]): string | undefined {
  const first = branches[0]?.properties;
  if (first === undefined) return undefined;
  return Object.keys(first).find((k) =>
    branches.every((b) => b.properties?.[k] !== undefined && b.properties[k].const !== undefined),
  );
}
