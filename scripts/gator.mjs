#!/usr/bin/env node
// Builds Gatekeeper's gator (pinned in scripts/gator/go.mod) into .cache/gator/ unless it is there:
// the reference the Gatekeeper tests compare wasmgate with. Prints the binary's path.
import { resolveGator } from '../dist/toolchain/gator.js';

console.log(resolveGator((line) => console.error(`gator: ${line}`)));
