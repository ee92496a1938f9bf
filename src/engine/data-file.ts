import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { WasmgateError } from '../errors.js';
import { assertDataDocument } from './evaluator.js';

/** Reads a policy data document from a YAML or JSON file (JSON is YAML, so one parser serves both). */
export function readDataFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WasmgateError('DATA_INVALID', `cannot read data file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = yaml.load(text, { filename: path });
  } catch (err) {
    throw new WasmgateError('DATA_INVALID', `data file ${path} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  try {
    assertDataDocument(data);
  } catch (err) {
    throw new WasmgateError('DATA_INVALID', `data file ${path}: ${(err as Error).message}`);
  }
  return data;
}
