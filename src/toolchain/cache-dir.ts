import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keeps the `keep` entries of a cache directory used last (by mtime; a hit touches its entry) and
 * removes the rest, files or directories. Entries `isEntry` rejects (another run's partial writes) stay.
 */
export function pruneOldest(cacheDir: string, keep: number, isEntry: (name: string) => boolean): void {
  const entries = readdirSync(cacheDir)
    .filter(isEntry)
    .map((name) => {
      const path = join(cacheDir, name);
      try {
        return { path, used: statSync(path).mtimeMs };
      } catch {
        return undefined; // removed by a run at the same time
      }
    })
    .filter((entry) => entry !== undefined)
    .sort((a, b) => b.used - a.used);
  for (const { path } of entries.slice(keep)) rmSync(path, { recursive: true, force: true });
}
