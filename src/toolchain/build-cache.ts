import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { pruneOldest } from './cache-dir.js';

/**
 * Compiled policy directories by their build fingerprint, one directory each: `wasmgate eval --policy
 * DIR`, `wasmgate test` and the tap suite compile the same files again and again into fresh temporary
 * directories, each time seconds of OPA (fmt, check, inspect, build). Only successful builds are kept.
 */
export interface BuildCache {
  /** Copies a build with this fingerprint into `outDir`; false when there is none. */
  restore(fingerprint: string, outDir: string): boolean;
  /** Keeps the build in `outDir` under its fingerprint. */
  store(fingerprint: string, outDir: string): void;
}

/** The 48 used last (~0.6 MB each for policies/). */
const keep = 48;

export function buildCache(cacheDir: string, files: readonly string[]): BuildCache {
  return {
    restore(fingerprint, outDir) {
      const entry = join(cacheDir, fingerprint);
      if (!files.every((f) => existsSync(join(entry, f)))) return false;
      try {
        mkdirSync(outDir, { recursive: true });
        for (const f of files) copyFileSync(join(entry, f), join(outDir, f));
        const now = new Date();
        utimesSync(entry, now, now);
        return true;
      } catch {
        return false; // pruned by a run at the same time: build
      }
    },
    store(fingerprint, outDir) {
      try {
        mkdirSync(cacheDir, { recursive: true });
        // Filled aside and renamed into place, so that runs at the same time never read half of one.
        const partial = mkdtempSync(join(cacheDir, `${fingerprint}.partial-`));
        for (const f of files) copyFileSync(join(outDir, f), join(partial, f));
        try {
          renameSync(partial, join(cacheDir, fingerprint));
        } catch {
          rmSync(partial, { recursive: true, force: true }); // another run stored the same build first
        }
        // A partial entry counts as used when it was made: one a killed run left is pruned in its turn.
        pruneOldest(cacheDir, keep, () => true);
      } catch {
        // A cache that cannot be written (a read-only install) costs the next run time, not this one its result.
      }
    },
  };
}
