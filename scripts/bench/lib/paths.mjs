import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = join(fileURLToPath(import.meta.url), '..', '..');
export const root = join(benchDir, '..', '..');
export const cacheDir = join(root, '.cache', 'bench');
/** Scratch space of one run: generated inputs, extracted policy, certificates, vegeta results. */
export const workDir = join(cacheDir, 'work');
export const resultsDir = join(root, 'bench', 'results');
