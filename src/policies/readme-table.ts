import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDataFile } from '../engine/data-file.js';
import { catalogueFileName, loadCatalogue } from './catalogue.js';
import { listPolicies } from './in-force.js';
import { policyTable, spliceTable, tableIn } from './markdown.js';

/**
 * The README's policy table for the catalogue a build wrote into `outDir`, with the actions in force
 * under policies/data.yaml; undefined when the README has no table markers.
 */
export function readmeWithTable(root: string, outDir: string): { file: string; before: string; after: string } | undefined {
  const file = join(root, 'README.md');
  if (!existsSync(file)) return undefined;
  const before = readFileSync(file, 'utf8');
  if (tableIn(before) === undefined) return undefined;
  const data = join(root, 'policies', 'data.yaml');
  const policies = listPolicies(loadCatalogue(join(outDir, catalogueFileName)), existsSync(data) ? readDataFile(data) : undefined);
  return { file, before, after: spliceTable(before, policyTable(policies, 'policies'), file) };
}

/**
 * `npm run build` keeps the README's policy table current, as it keeps deploy/data.yaml: adding a
 * policy folder changes no file by hand. Returns whether it wrote.
 */
export function syncReadmeTable(root: string, outDir: string): boolean {
  const readme = readmeWithTable(root, outDir);
  if (!readme || readme.after === readme.before) return false;
  writeFileSync(readme.file, readme.after);
  return true;
}
