/**
 * `ocihooks install`: copies the bundles and the addon under a prefix, writes launchers whose
 * first line names the absolute node that ran the install (a hook's environment often has no
 * PATH), fills the shipped hooks.d templates with the real paths, validates them, and records
 * what it wrote in a manifest so that --uninstall removes exactly that.
 */
import fs = require('node:fs');
import path = require('node:path');
import { UsageError } from '../core/errors';
import { readHookFile } from '../hooksd/read';
import { writeFileAtomically } from '../linux/files';
import { Bundles, programsOf, writeCodeCaches } from './code-cache';
import { LauncherField, frontEndFor } from './launcher-field';

export const DEFAULT_PREFIX = '/usr/local/libexec/ocihooks';
export const DEFAULT_HOOKS_DIR = '/usr/share/containers/oci/hooks.d';
/** Shipped template -> installed name; the number orders them (mount and GPU before ldconfig). */
export const HOOK_FILES: Record<string, string> = {
  'slurm.json': '50-ocihooks-slurm.json',
  'libfabric.json': '50-ocihooks-libfabric.json',
  'gpu-precreate.json': '50-ocihooks-gpu-precreate.json',
  'gpu.json': '60-ocihooks-gpu.json',
  'ldconfig.json': '90-ocihooks-ldconfig.json',
  // The relay filter (native/hook-launcher/precreate-relay.c): last, after the GPU precreate filter.
  'relay.json': '99-ocihooks-relay.json',
};
/** Installed only with the C hook launcher in bin/: it runs for every podman container. */
const NEEDS_HOOK_LAUNCHER = new Set(['relay.json']);
const MANIFEST = 'install-manifest.json';

export interface InstallOptions {
  prefix: string;
  hooksDir: string;
  node: string;
  /** The folder holding bin/ and native/ (dist/ of a build). */
  dist: string;
  /** The shipped hooks.d templates. */
  templates: string;
  ldconfig: string;
  fiProviderDir: string;
  /** The bundles to install (lib/<bundle>) with their programs (bin/<program> launchers). */
  bundles: Bundles;
  /** The host paths a hook's arguments bind, to skip a hooks.d file whose sources this host lacks. */
  hostSourcesOf(hookArgs: readonly string[]): string[];
  /** Also install bin/nvidia-cdi-hook (a link to ocihook-gpu), for CDI specs written by nvidia-ctk. */
  nvidiaCdiHook?: boolean;
  /**
   * Freestanding front programs (the runtime wrapper's front-end, the hook launcher): bin/<program>
   * is the built one (`file`), made to start the node launcher, which goes to libexec/<program>.
   */
  /** `mark`: in front of the path in the field (launcher-field.ts SEPARATE_MARK). */
  frontEnds?: { program: string; file: string; field: LauncherField; mark?: string }[];
  /** Files of the installation itself (a path under the prefix), written at every install like the programs. */
  prefixFiles?: { name: string; text: string }[];
  /** Configuration files, written only where there is none: an admin's own file is kept. */
  configFiles?: { file: string; text: string }[];
}

/** The name NVIDIA's CDI specs call; ocihook-gpu answers to it (its nvidia-cdi-hook subcommands). */
export const NVIDIA_CDI_HOOK = 'nvidia-cdi-hook';

/** A symlink at `link` to `target`, replacing what is there atomically. */
function symlinkAtomically(target: string, link: string): void {
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(target, tmp);
  fs.renameSync(tmp, link);
}

interface Manifest {
  files: string[];
  dirs: string[];
}

export interface InstallReport {
  written: string[];
  skipped: string[];
  problems: string[];
}

function mkdirs(dir: string, created: string[]): void {
  if (fs.existsSync(dir)) return;
  mkdirs(path.dirname(dir), created);
  fs.mkdirSync(dir, { mode: 0o755 });
  created.push(dir);
}

function readManifest(prefix: string): Manifest {
  try {
    return JSON.parse(fs.readFileSync(path.join(prefix, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return { files: [], dirs: [] };
  }
}

export function install(o: InstallOptions): InstallReport {
  if (!path.isAbsolute(o.prefix)) throw new UsageError(`--prefix ${o.prefix}: must be an absolute path`);
  if (!path.isAbsolute(o.hooksDir)) throw new UsageError(`--hooks-dir ${o.hooksDir}: must be an absolute path`);
  for (const p of programsOf(o.bundles))
    if (!fs.existsSync(path.join(o.dist, 'bin', p)))
      throw new UsageError(`${path.join(o.dist, 'bin', p)}: missing; run npm run build first`);
  const manifest = readManifest(o.prefix);
  const report: InstallReport = { written: [], skipped: [], problems: [] };
  const record = (file: string) => {
    report.written.push(file);
    if (!manifest.files.includes(file)) manifest.files.push(file);
  };
  const created: string[] = [];
  mkdirs(path.join(o.prefix, 'bin'), created);
  mkdirs(path.join(o.prefix, 'lib'), created);
  mkdirs(path.join(o.prefix, 'native'), created);
  if (o.frontEnds?.length) mkdirs(path.join(o.prefix, 'libexec'), created);
  mkdirs(o.hooksDir, created);
  for (const d of created) if (!manifest.dirs.includes(d)) manifest.dirs.push(d);

  for (const p of programsOf(o.bundles)) {
    // bin/<p> is the launcher (see scripts/build.mjs); lib/, the bundles and the libraries apart, below.
    const launcher = fs.readFileSync(path.join(o.dist, 'bin', p), 'utf8');
    const body = launcher.startsWith('#!') ? launcher.slice(launcher.indexOf('\n') + 1) : launcher;
    const front = o.frontEnds?.find((f) => f.program === p);
    const target = path.join(o.prefix, front ? 'libexec' : 'bin', p);
    writeFileAtomically(target, `#!${o.node}\n${body}`, 0o755);
    record(target);
    if (front) {
      const frontEnd = path.join(o.prefix, 'bin', p);
      writeFileAtomically(
        frontEnd,
        frontEndFor(fs.readFileSync(front.file), front.file, target, front.field, front.mark),
        0o755,
      );
      record(frontEnd);
    }
  }
  for (const name of Object.keys(o.bundles)) {
    const bundle = path.join(o.prefix, 'lib', name);
    writeFileAtomically(bundle, fs.readFileSync(path.join(o.dist, 'lib', name)), 0o644);
    record(bundle);
  }
  if (o.nvidiaCdiHook) {
    const link = path.join(o.prefix, 'bin', NVIDIA_CDI_HOOK);
    symlinkAtomically('ocihook-gpu', link);
    record(link);
  }
  const addon = path.join(o.prefix, 'native', 'ocihooks.node');
  writeFileAtomically(addon, fs.readFileSync(path.join(o.dist, 'native', 'ocihooks.node')), 0o755);
  record(addon);

  for (const [template, installed] of Object.entries(HOOK_FILES)) {
    const text = fs
      .readFileSync(path.join(o.templates, template), 'utf8')
      .replaceAll('@LIBEXEC@', path.join(o.prefix, 'bin'))
      .replaceAll('@LDCONFIG@', o.ldconfig)
      .replaceAll('@FI_PROVIDER_DIR@', o.fiProviderDir);
    const missing = o
      .hostSourcesOf((JSON.parse(text) as { hook: { args?: string[] } }).hook.args ?? [])
      .filter((src) => !fs.existsSync(src));
    const target = path.join(o.hooksDir, installed);
    if (NEEDS_HOOK_LAUNCHER.has(template) && !o.frontEnds?.some((f) => f.program === 'ocihook-mount' && !f.mark)) {
      // Each hook a Node start would start Node for every container: an earlier install's file goes too.
      fs.rmSync(target, { force: true });
      report.skipped.push(`${installed}: not installed with one process per hook (--one-process-per-hook)`);
      continue;
    }
    if (missing.length) {
      report.skipped.push(`${installed}: not installed, missing on this host: ${missing.join(', ')}`);
      continue;
    }
    writeFileAtomically(target, text, 0o644);
    record(target);
    const check = readHookFile(target);
    if (check?.status !== 'ok') report.problems.push(`${target}: ${check?.error ?? 'vanished while it was written'}`);
  }
  for (const f of o.prefixFiles ?? []) {
    const file = path.join(o.prefix, f.name);
    if (path.relative(o.prefix, file).startsWith('..'))
      throw new UsageError(`${f.name}: an installation file must be under the prefix`);
    const dirs: string[] = [];
    mkdirs(path.dirname(file), dirs);
    for (const d of dirs) if (!manifest.dirs.includes(d)) manifest.dirs.push(d);
    writeFileAtomically(file, f.text, 0o644);
    record(file);
  }
  for (const c of o.configFiles ?? []) {
    if (!path.isAbsolute(c.file)) throw new UsageError(`${c.file}: a configuration file's path must be absolute`);
    if (fs.existsSync(c.file) && fs.readFileSync(c.file, 'utf8') !== c.text) {
      report.skipped.push(`${c.file}: kept as it is (it differs from what install would write: an admin's file)`);
      // An admin's file is theirs: uninstall must not remove it.
      manifest.files = manifest.files.filter((f) => f !== c.file);
      continue;
    }
    const dirs: string[] = [];
    mkdirs(path.dirname(c.file), dirs);
    for (const d of dirs) if (!manifest.dirs.includes(d)) manifest.dirs.push(d);
    writeFileAtomically(c.file, c.text, 0o644);
    record(c.file);
  }
  // V8 code caches for the node the hooks will run with (the one running this install).
  const caches = writeCodeCaches(o.prefix, o.bundles);
  for (const c of caches.written) record(c);
  report.problems.push(...caches.problems);
  writeFileAtomically(path.join(o.prefix, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', 0o644);
  return report;
}

export function uninstall(prefix: string): string[] {
  const manifestFile = path.join(prefix, MANIFEST);
  if (!fs.existsSync(manifestFile))
    throw new UsageError(`${manifestFile}: no install manifest; nothing installed there by ocihooks`);
  const manifest = readManifest(prefix);
  const removed: string[] = [];
  for (const f of [...manifest.files, manifestFile]) {
    try {
      fs.unlinkSync(f);
      removed.push(f);
    } catch {
      // already gone
    }
  }
  for (const d of [...manifest.dirs].sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(d); // only if empty: something else may have put files there since
      removed.push(d);
    } catch {
      // not empty or gone
    }
  }
  return removed;
}
