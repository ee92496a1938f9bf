import { readStdin } from '../manifests/index.js';

/** What a command touches of its process, injected so tests run commands in-process. */
export interface CommandIO {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: NodeJS.WriteStream | { write(text: string): unknown; readonly isTTY?: boolean };
  readStdin(): Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  /** Sets the exit code; commands never exit mid-run. */
  setExitCode(code: number): void;
}

export const processIO: CommandIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin,
  env: process.env,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** Colour on a terminal only, and never with NO_COLOR set. */
export function useColor(io: CommandIO): boolean {
  return Boolean(io.stdout.isTTY) && !('NO_COLOR' in io.env);
}

/**
 * A reader that stops early (`wasmgate eval … | head`) closes the pipe: that ends the output, it is
 * not a crash with a stack trace. Other stream errors still surface.
 */
export function toleratePipeClose(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') {
        stream.destroy();
        return;
      }
      throw err;
    });
  }
}
