// Writes scenario.schema.json from the schema the code checks scenarios with (the base
// sections and every registered executor's fragment). Run by `npm run schema`.
import { writeFileSync } from 'node:fs';

const { schemaFileText } = await import('../dist/src/scenario/schema.js');
writeFileSync(new URL('../scenario.schema.json', import.meta.url), schemaFileText());
