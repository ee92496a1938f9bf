export { Engine, engineDefaults, memoryLimits, type EngineOptions, type EvaluateOptions } from './engine.js';
export { PolicyEvaluator, type PolicyInput, type EvaluatorOptions } from './evaluator.js';
export { loadBundle, defaultBundleDir, entrypoints, prepareEntrypoint, type PolicyBundle } from './bundle.js';
export { readDataFile } from './data-file.js';
export {
  parseDecision,
  deniesOf,
  warningsOf,
  enforcementActions,
  type Decision,
  type Violation,
  type EnforcementAction,
} from './decision.js';
export { parseMutation, patchOperations, type JsonPatchOp, type Mutation } from './mutation.js';
export { applyJsonPatch } from './json-patch.js';
export { requiredBuiltins, WasmPolicy, defaultMemoryLimits, type MemoryLimits } from './wasm-policy.js';
