import { readFile } from 'node:fs/promises';
import { WasmgateError } from '../errors.js';
import { manifestsOf } from '../manifests/index.js';
import type { KubeObject } from './match.js';

/** The objects of one YAML/JSON file, read as kubectl reads them; any problem in it is an error. */
export async function readObjects(file: string, shownAs = file): Promise<KubeObject[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WasmgateError('INPUT_INVALID', `${shownAs}: ${code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`}`);
  }
  const { manifests, problems } = manifestsOf(shownAs, text);
  if (problems.length > 0) {
    const p = problems[0]!;
    throw new WasmgateError('INPUT_INVALID', `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`);
  }
  return manifests.map((m) => m.object);
}
