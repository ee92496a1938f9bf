#!/usr/bin/env node
// Builds the PSP oracle (scripts/psp: Kubernetes v1.24.17's PodSecurityPolicy plugin) into .cache/psp/
// unless it is cached already, and prints its path. `npm test` runs it before the tap suite, whose
// differential test needs it: about 4 minutes the first time on a cold Go cache, then nothing.
const { resolvePspOracle } = await import('../dist/toolchain/psp-oracle.js');
try {
  console.log(resolvePspOracle((line) => console.error(`psp oracle: ${line}`)));
} catch (err) {
  console.error(`psp oracle: ${err?.message ?? err}`);
  process.exit(1);
}
