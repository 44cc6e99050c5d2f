/**
 * Reading the hook's inputs: the OCI state (stdin or --state-file) and the bundle's config.json.
 * Both are read synchronously: after joining a mount namespace only the main thread moved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isatty } from 'node:tty';
import { UsageError, errorCode, messageOf } from '../core/errors';
import { envList } from '../core/env';
import { parseJson, parseWith } from '../core/json';
import { Bundle, OciConfig, OciState, ociConfigSchema, ociStateSchema } from '../core/oci';
import { readFdFully } from '../linux/files';

/** How long a hook waits for a runtime to write the state on its stdin. */
const STDIN_TIMEOUT_MS = 10_000;

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

/** Reads the state from a file, or from stdin (fd 0) when no file is named. */
export function readState(stateFile: string | undefined): OciState {
  let text: string;
  let what: string;
  if (stateFile !== undefined) {
    what = `state file ${stateFile}`;
    text = readFileOrExplain(stateFile, 'state file');
  } else {
    what = 'state on stdin';
    const chain = (globalThis as { __ocihooksChain?: { state: string } }).__ocihooksChain;
    if (chain) {
      text = chain.state; // read once by the launcher for every hook of a chain
    } else {
      if (isatty(0)) throw new UsageError('no OCI state: pass it on stdin (as runtimes do) or use --state-file FILE');
      try {
        text = readFdFully(0, STDIN_TIMEOUT_MS).toString('utf8');
      } catch (e) {
        throw new UsageError(`state on stdin: cannot read (${messageOf(e)})`, { cause: e });
      }
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
