/** scenario.schema.json (shipped at the package root for editors), loaded once. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../util/paths.js';
import type { JsonSchema } from './schema-check.js';

export const SCENARIO_SCHEMA = JSON.parse(
  readFileSync(join(PACKAGE_ROOT, 'scenario.schema.json'), 'utf8'),
) as JsonSchema;
