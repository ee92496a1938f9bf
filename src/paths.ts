import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: every module sits at src/<x>/… or dist/<x>/…, one folder below src/ or dist/. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
