/**
 * The host's ldconfig, the only one a hook runs (`ldconfig -r <rootfs>`): never a binary from
 * the image. A path is trusted when it is absolute, an executable regular file, and not inside
 * the rootfs (also after resolving symlinks); it runs with a scrubbed environment and a timeout.
 */
import fs = require('node:fs');
import path = require('node:path');
import { ActionError, UsageError, messageOf } from '../../core/errors';
import { runTrusted } from '../exec';

export const DEFAULT_LDCONFIG_CANDIDATES = ['/sbin/ldconfig', '/usr/sbin/ldconfig'];
export const DEFAULT_LDCONFIG_TIMEOUT_MS = 10_000;

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Checks a host ldconfig path (see above); `what` names the argument or variable in errors. */
export function validateLdconfigPath(ldconfig: string, rootfs: string, what: string): string {
  if (!path.isAbsolute(ldconfig))
    throw new UsageError(`${what} ${JSON.stringify(ldconfig)}: must be an absolute path on the host`);
  let real: string;
  try {
    real = fs.realpathSync(ldconfig);
  } catch {
    throw new UsageError(`${what} ${ldconfig}: no such file on the host`);
  }
  let realRootfs = rootfs;
  try {
    realRootfs = fs.realpathSync(rootfs);
  } catch {
    // A rootfs we cannot resolve here is compared lexically.
  }
  if (isInside(ldconfig, rootfs) || isInside(real, realRootfs)) {
    throw new UsageError(`${what} ${ldconfig}: is inside the container's rootfs; only a host ldconfig is trusted`);
  }
  const st = fs.statSync(real);
  if (!st.isFile() || (st.mode & 0o111) === 0) throw new UsageError(`${what} ${ldconfig}: not an executable file`);
  return ldconfig;
}

export function defaultLdconfig(): string | undefined {
  return DEFAULT_LDCONFIG_CANDIDATES.find((p) => fs.existsSync(p));
}

/**
 * Runs the host ldconfig against a rootfs path (as seen by this process), killing it at the
 * timeout: configuration `confFile`, the cache written to `cacheFile` (paths in the container, as
 * ldconfig reads -f and -C under -r).
 */
export function runLdconfig(
  ldconfig: string,
  rootfsPath: string,
  confFile: string,
  cacheFile: string,
  timeoutMs: number,
): void {
  const args = ['-r', rootfsPath, '-f', confFile, '-C', cacheFile];
  try {
    runTrusted(ldconfig, { args, timeoutMs });
  } catch (e) {
    throw new ActionError(`${ldconfig} ${args.join(' ')}: ${messageOf(e)}`, { cause: e });
  }
}

/** NVIDIA's rule for a host ldconfig: Ubuntu's is a wrapper script around ldconfig.real, so P.real wins when it exists. */
export function preferRealLdconfig(p: string): string {
  const base = p.endsWith('.real') ? p.slice(0, -'.real'.length) : p;
  return fs.existsSync(`${base}.real`) ? `${base}.real` : base;
}
