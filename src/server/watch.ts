import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface FileWatch {
  close(): Promise<void>;
}

/**
 * Calls `onChange` once things have been quiet for `debounceMs` after any change to the given files.
 *
 * It watches the directories that hold the files, not the files: Kubernetes updates a mounted Secret or
 * ConfigMap by swapping a `..data` symlink in that directory, and tools replace files by renaming over
 * them; both leave a watch on the old file itself silent. In the directory watch, chokidar reports a
 * mounted file (a symlink through `..data`) as changed when the swap gives it a new target, so only the
 * watched names count; other entries, `..data` itself included, are ignored
 * (test/server/tls.test.ts rotates through such a mount). Events are not held back (chokidar's
 * `atomic`): the debounce here merges them. Resolves once the watch is in place.
 */
export async function watchFiles(
  files: readonly string[],
  debounceMs: number,
  onChange: (paths: string[]) => void,
  onError: (err: Error) => void,
): Promise<FileWatch> {
  const dirs = new Map<string, Set<string>>();
  for (const file of files.map((f) => resolve(f))) {
    const dir = dirname(file);
    if (!dirs.has(dir)) dirs.set(dir, new Set());
    dirs.get(dir)!.add(basename(file));
  }
  const relevant = (path: string) => {
    const names = dirs.get(dirname(resolve(path)));
    const name = basename(path);
    return names !== undefined && names.has(name);
  };

  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  const watcher: FSWatcher = watch([...dirs.keys()], { ignoreInitial: true, depth: 0, followSymlinks: false, atomic: false });
  watcher.on('all', (_event, path) => {
    if (!relevant(path)) return;
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const paths = [...changed];
      changed = new Set();
      onChange(paths);
    }, debounceMs);
  });
  watcher.on('error', (err) => onError(err instanceof Error ? err : new Error(String(err))));
  await new Promise<void>((ready) => watcher.once('ready', () => ready()));
  return {
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
