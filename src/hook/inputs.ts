/**
 * Reading the hook's inputs: the OCI state (stdin or --state-file) and the bundle's config.json.
 * Both are read synchronously: after joining a mount namespace only the main thread moved.
 */
import fs = require('node:fs');
import path = require('node:path');
import { UsageError, errorCode, messageOf } from '../core/errors';
import { envList } from '../core/env';
import { parseJson, parseWith } from '../core/json';
import { Bundle, OciConfig, OciState, ociConfigSchema, ociStateSchema } from '../core/oci';
import { readFdFully } from '../linux/files';
import { native } from '../linux/native';

/** How long a hook waits for a runtime to write the state on its stdin. */
const STDIN_TIMEOUT_MS = 10_000;

/**
 * A process's stdin as a runtime gives a hook its state: read whole, within a timeout. A terminal
 * is no state: a person running a hook by hand is told to give one.
 */
export function readProcessStdin(fd = 0, timeoutMs = STDIN_TIMEOUT_MS): string {
  if (native().isatty(fd))
    throw new UsageError('no OCI state: pass it on stdin (as runtimes do) or use --state-file FILE');
  try {
    return readFdFully(fd, timeoutMs).toString('utf8');
  } catch (e) {
    if (errorCode(e) !== 'ETIMEDOUT') throw e;
    throw new UsageError(
      `stdin: not closed within ${timeoutMs / 1000} s (a runtime closes it after writing the state, podman after a precreate hook's config.json; by hand use --state-file FILE)`,
      { cause: e },
    );
  }
}

function readFileOrExplain(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = errorCode(e);
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : messageOf(e);
    throw new UsageError(`${what} ${file}: ${reason}`, { cause: e });
  }
}

/** Reads the state from a file, or from the program's stdin (what the runtime wrote there) when no file is named. */
export function readState(stateFile: string | undefined, stdin: () => string): OciState {
  let text: string;
  let what: string;
  if (stateFile !== undefined) {
    what = `state file ${stateFile}`;
    text = readFileOrExplain(stateFile, 'state file');
  } else {
    what = 'state on stdin';
    try {
      text = stdin();
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`state on stdin: cannot read (${messageOf(e)})`, { cause: e });
    }
  }
  if (text.trim() === '') throw new UsageError(`${what}: empty`);
  return parseWith(ociStateSchema, parseJson(text, what), what);
}

export function loadBundle(state: OciState): Bundle {
  const dir = state.bundle;
  if (!path.isAbsolute(dir)) throw new UsageError(`bundle: must be an absolute path, got ${JSON.stringify(dir)}`);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    throw new UsageError(`bundle ${dir}: ${errorCode(e) === 'ENOENT' ? 'no such directory' : messageOf(e)}`, {
      cause: e,
    });
  }
  if (!st.isDirectory()) throw new UsageError(`bundle ${dir}: not a directory`);
  const configPath = path.join(dir, 'config.json');
  const what = `config ${configPath}`;
  const config = parseWith(ociConfigSchema, parseJson(readFileOrExplain(configPath, 'config'), what), what);
  const rootfs = path.resolve(dir, config.root.path);
  return { dir, configPath, config, rootfs };
}

/** The container's environment as a map (later entries win, as execve's getenv would see). */
export function containerEnv(config: OciConfig): Map<string, string> {
  return envList(config.process?.env ?? []);
}
