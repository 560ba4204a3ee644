/**
 * Checks a parsed YAML document against scenario.schema.json (the subset of JSON Schema
 * it uses) on the YAML nodes themselves, so every problem carries the line and column of
 * the offending key or value. Returns all problems at once.
 */
import { isMap, isScalar, isSeq, type Node, type LineCounter, type Scalar, type YAMLMap } from 'yaml';
import { parseDuration, parsePercent, parseRate } from '../model/units.js';
import { discriminator, type JsonSchema } from '../util/json-schema.js';

export type { JsonSchema };

export interface Problem {
  path: string;
  line: number;
  column: number;
  message: string;
}

export function positionOf(node: Node | null | undefined, lc: LineCounter): { line: number; column: number } {
  const off = node?.range?.[0] ?? 0;
  const p = lc.linePos(off);
  return { line: p.line, column: p.col };
}

const FORMAT_CHECK: Record<NonNullable<JsonSchema['format']>, (s: string) => string | null> = {
  duration: (s) => {
    const r = parseDuration(s);
    return r.ok ? null : r.error;
  },
  rate: (s) => {
    const r = parseRate(s);
    return r.ok ? null : r.error;
  },
  percent: (s) => {
    const r = parsePercent(s);
    return r.ok ? null : r.error;
  },
};

function describe(s: JsonSchema): string {
  if (s.enum) return `one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`;
  if (s.format === 'duration') return 'a duration like 500ms, 30s or 2m';
  if (s.format === 'rate') return 'a rate like 200/s';
  if (s.format === 'percent') return 'a share like 1% or 0.5%';
  switch (s.type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    default:
      return 'a value';
  }
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

function suggest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const dd = distance(word.toLowerCase(), o.toLowerCase());
    if (dd < bestD) {
      bestD = dd;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export class SchemaChecker {
  readonly problems: Problem[] = [];
  constructor(private readonly lc: LineCounter) {}

  private add(node: Node | null | undefined, path: string, message: string): void {
    this.problems.push({ path, ...positionOf(node, this.lc), message });
  }

  check(node: Node | null | undefined, schema: JsonSchema, path: string): void {
    if (schema.oneOf) {
      this.checkUnion(node, schema.oneOf, path);
      return;
    }
    if (schema.anyOf) {
      const tries = schema.anyOf.map((branch) => {
        const sub = new SchemaChecker(this.lc);
        sub.check(node, branch, path);
        return { branch, problems: sub.problems };
      });
      if (tries.some((t) => t.problems.length === 0)) return;
      // report the branch whose type fits, if one does; else what was expected
      const fitting = tries.filter((t) => typeFits(node, t.branch));
      if (fitting.length === 1) this.problems.push(...fitting[0]!.problems);
      else this.add(node, path, `expected ${schema.anyOf.map(describe).join(' or ')}`);
      return;
    }
    if (schema.type && !typeFits(node, schema)) {
      this.add(node, path, `expected ${describe(schema)}, got ${actual(node)}`);
      return;
    }
    if (isMap(node)) this.checkMap(node, schema, path);
    else if (isSeq(node)) {
      if (schema.minItems !== undefined && node.items.length < schema.minItems)
        this.add(node, path, `expected at least ${schema.minItems} item(s)`);
      if (schema.items) node.items.forEach((item, i) => this.check(item as Node, schema.items!, `${path}[${i}]`));
    } else if (isScalar(node)) this.checkScalar(node, schema, path);
  }

  /** A discriminated union: the branch whose `const` key matches the node's value of that key. */
  private checkUnion(node: Node | null | undefined, branches: JsonSchema[], path: string): void {
    const key = discriminator(branches);
    if (key === undefined) throw new Error(`${path}: a oneOf without a discriminating const key`);
    if (!isMap(node)) {
      this.add(node, path, `expected a mapping, got ${actual(node)}`);
      return;
    }
    const at = path ? `${path}.${key}` : key;
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    const names = branches.map((b) => String(b.properties![key]!.const));
    if (pair === undefined) {
      this.add(node, at, `"${key}" is required (one of ${names.map((n) => `"${n}"`).join(', ')})`);
      return;
    }
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    const branch = branches.find((b) => b.properties![key]!.const === value);
    if (branch === undefined) {
      const hint = typeof value === 'string' ? suggest(value, names) : undefined;
      this.add(
        pair.value as Node,
        at,
        `expected one of ${names.map((n) => `"${n}"`).join(', ')}, got ${echo(value)}${hint ? ` — did you mean "${hint}"?` : ''}`,
      );
      return;
    }
    // a key the chosen branch needs is said at the value that chose it: "<executor> needs load.<key>"
    const given = new Set(node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')));
    for (const req of branch.required ?? []) {
      if (given.has(req)) continue;
      const what = branch.properties?.[req]?.description;
      this.add(
        pair.value as Node,
        at,
        `${String(value)} needs ${path ? `${path}.` : ''}${req}${what ? ` (${what})` : ''}`,
      );
    }
    this.check(node, { ...branch, required: [] }, path);
  }

  private checkMap(node: YAMLMap, schema: JsonSchema, path: string): void {
    const seen = new Set<string>();
    const known = Object.keys(schema.properties ?? {});
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const at = path ? `${path}.${key}` : key;
      if (seen.has(key)) this.add(keyNode, at, `"${key}" is given twice`);
      seen.add(key);
      const sub = schema.properties?.[key];
      if (sub) this.check(pair.value as Node, sub, at);
      else if (typeof schema.additionalProperties === 'object')
        this.check(pair.value as Node, schema.additionalProperties, at);
      else if (schema.additionalProperties === false) {
        const hint = suggest(key, known);
        this.add(
          keyNode,
          at,
          `unknown key "${key}"${hint ? ` — did you mean "${hint}"?` : ''} (expected ${known.map((k) => `"${k}"`).join(', ')})`,
        );
      }
    }
    for (const req of schema.required ?? [])
      if (!seen.has(req)) this.add(node, path ? `${path}.${req}` : req, `"${req}" is required`);
  }

  private checkScalar(node: Scalar, schema: JsonSchema, path: string): void {
    const v = node.value;
    if (schema.const !== undefined && v !== schema.const) {
      this.add(node, path, `expected ${JSON.stringify(schema.const)}, got ${echo(v)}`);
      return;
    }
    if (schema.enum && !schema.enum.includes(v)) {
      const hint = typeof v === 'string' ? suggest(v, schema.enum.map(String)) : undefined;
      this.add(node, path, `expected ${describe(schema)}, got ${echo(v)}${hint ? ` — did you mean "${hint}"?` : ''}`);
      return;
    }
    if (typeof v === 'string') {
      if (schema.pattern && !new RegExp(schema.pattern).test(v))
        this.add(node, path, `${echo(v)} does not match ${schema.pattern}`);
      if (schema.format) {
        const err = FORMAT_CHECK[schema.format](v);
        if (err) this.add(node, path, err);
      }
    }
    if (typeof v === 'number') {
      if (schema.minimum !== undefined && v < schema.minimum)
        this.add(node, path, `expected at least ${schema.minimum}, got ${v}`);
      if (schema.maximum !== undefined && v > schema.maximum)
        this.add(node, path, `expected at most ${schema.maximum}, got ${v}`);
    }
  }
}

function typeFits(node: Node | null | undefined, s: JsonSchema): boolean {
  if (s.anyOf) return s.anyOf.some((b) => typeFits(node, b));
  if (!s.type) return true;
  if (s.type === 'object') return isMap(node);
  if (s.type === 'array') return isSeq(node);
  if (!isScalar(node)) return false;
  const v = node.value;
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
  }
}

/** A value from the input, quoted for a message: one line, at most ~60 characters. */
export function echo(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length <= 60 ? text : `${text.slice(0, 57)}…" (${text.length} characters)`;
}

function actual(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'nothing' : `${typeof node.value} ${echo(node.value)}`;
  return 'something else';
}
