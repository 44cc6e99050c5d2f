/**
 * `ocihooks scrun stage-in|stage-out`, called by our scrun.lua (lua.ts) on the node where scrun
 * runs. Root's containers run from the bundle podman made (storage the compute node must see):
 * nothing to do. A user's container gets a rootless copy of config.json (rootless.ts) in a bundle
 * of its own in scrun's spool_dir for the container; scrun then hands that bundle to the job
 * (set_bundle_path) and stage-out removes it, so that scrun's own clean-up finds its spool empty.
 * Nothing is left half-written: the bundle appears whole (a folder renamed into place) or not at all.
 */
import fs = require('node:fs');
import path = require('node:path');
import { ActionError, UsageError, messageOf } from '../../../core/errors';
import { parseJsonKeepingNumbers, stringifyKeepingNumbers, type Json } from '../../../core/json';
import { OWN_BUNDLE, type StageIn, type StageOut } from './input';
import { rootlessConfig } from './rootless';

/** What scrun.lua passes on to scrun: slurm.set_bundle_path and slurm.set_root_path, when set. */
export interface StageInResult {
  bundle?: string;
  root?: string;
}

function readConfig(file: string): Json {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`config ${file}: ${messageOf(e)}`, { cause: e });
  }
  const config = parseJsonKeepingNumbers(text, `config ${file}`);
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new UsageError(`config ${file}: not a JSON object`);
  const root = (config as Json).root?.path;
  if (typeof root !== 'string' || root === '') throw new UsageError(`config ${file}: root.path: missing`);
  return config as Json;
}

export function ownBundle(spoolDir: string): string {
  return path.join(spoolDir, OWN_BUNDLE);
}

export function stageIn(input: StageIn): StageInResult {
  const config = readConfig(input.configFile);
  if (input.userId === 0) return {}; // root's runtime runs the bundle as podman made it
  if (!fs.statSync(input.spoolDir, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`--spool-dir ${input.spoolDir}: not a folder`);
  const rootPath = path.resolve(input.bundle, config.root.path as string);
  const rewritten = rootlessConfig(config, { uid: input.userId, gid: input.groupId, rootPath });
  const target = ownBundle(input.spoolDir);
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { mode: 0o755 });
    fs.writeFileSync(path.join(tmp, 'config.json'), stringifyKeepingNumbers(rewritten, 2) + '\n', { mode: 0o644 });
    fs.rmSync(target, { recursive: true, force: true }); // a stage-in of this container before: ours, by its name
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new ActionError(`${target}: cannot write the rootless bundle: ${messageOf(e)}`, { cause: e });
  }
  return { bundle: target, root: rootPath };
}

/** Removes the bundle stage-in wrote (only that: its config.json, then the folder); true when there was one. */
export function stageOut(input: StageOut): boolean {
  const own = ownBundle(input.spoolDir);
  if (path.resolve(input.bundle) !== own) return false;
  try {
    fs.rmSync(path.join(own, 'config.json'), { force: true });
    fs.rmdirSync(own);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ActionError(`${own}: cannot remove the rootless bundle: ${messageOf(e)}`, { cause: e });
  }
  return true;
}

/** The answer scrun.lua reads: one `key=value` line per path to hand to scrun. */
export function stageInAnswer(r: StageInResult): string {
  return (r.bundle ? `bundle=${r.bundle}\n` : '') + (r.root ? `root=${r.root}\n` : '');
}
