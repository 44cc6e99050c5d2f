/**
 * Helpers for the offline unit tests (no root, no container): a fake container to plan for, a
 * host view from a table, and golden files — expected output kept as JSON beside the test, in
 * testdata/. A golden file is written only on request (OCIHOOKS_UPDATE_GOLDEN=1, and that run
 * fails) and read by a person before it is committed: the test compares, it never accepts what
 * it gets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OciConfig } from '../../src/core/oci';
import type { PlanInput } from '../../src/core/plan';
import type { HostNode, HostPath, HostView } from '../../src/core/host-view';

/** A container as planners see it: bundle /run/ctr/c1, rootfs /run/ctr/c1/rootfs, already located "inside". */
export function fakeContainer(config: Partial<OciConfig> = {}, statePid = 1): PlanInput {
  const dir = '/run/ctr/c1';
  const rootfs = `${dir}/rootfs`;
  return {
    state: { ociVersion: '1.0.2', id: 'c1', status: 'creating', pid: statePid, bundle: dir },
    bundle: {
      dir,
      configPath: `${dir}/config.json`,
      config: { ociVersion: '1.0.2', root: { path: 'rootfs' }, ...config },
      rootfs,
    },
    location: { kind: 'inside', rootfs, reason: 'test: inside the container' },
  };
}

type FakePath = HostPath & { mode?: number };

/** A host made of a table: path -> what it is (device nodes with mode 0666 unless given); anything else is missing. */
export function fakeHost(paths: Record<string, FakePath>): HostView {
  return {
    describe: (p) => paths[p] ?? { kind: 'missing', detail: 'no such file or directory' },
    lstatNode(p): HostNode {
      const d = paths[p];
      if (!d || d.kind === 'missing') return { error: 'no such file or directory' };
      return d.kind === 'device'
        ? { type: d.type, major: d.major, minor: d.minor, mode: d.mode ?? 0o666 }
        : { error: 'not a device node' };
    },
  };
}

export const FILE: HostPath = { kind: 'file' };
export const DIR: HostPath = { kind: 'directory' };
export const chr = (major: number, minor: number, mode?: number): FakePath => ({
  kind: 'device',
  type: 'c',
  major,
  minor,
  ...(mode !== undefined ? { mode } : {}),
});

/** Compares value with testdata/<name>.json beside the test file. */
export function expectGolden(testFile: string, name: string, value: unknown): void {
  const file = path.join(path.dirname(testFile), 'testdata', `${name}.json`);
  const actual = JSON.parse(JSON.stringify(value)) as unknown;
  if (process.env.OCIHOOKS_UPDATE_GOLDEN === '1') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
    // An update run never passes: the new file must be read, then the test run again.
    throw new Error(`${file}: written; review it, then run the test again without OCIHOOKS_UPDATE_GOLDEN`);
  }
  if (!fs.existsSync(file))
    throw new Error(`${file}: no golden file; write it with OCIHOOKS_UPDATE_GOLDEN=1 and review it before committing`);
  expect(actual).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/**
 * What fn throws, as [its class, its message]: errors carry the error they wrap as `cause`, which
 * jest's toThrow(new X(msg)) would compare too.
 */
export function failureOf(fn: () => unknown): [unknown, string] {
  try {
    fn();
  } catch (e) {
    return [(e as Error).constructor, (e as Error).message];
  }
  throw new Error('did not throw');
}

/**
 * A stand-in for the installed hook launcher at `file` (native/hook-launcher/): an ELF file with its
 * field and a path in it; `separate`: an installation of one process per hook (`separate:` first).
 */
export function fakeHookLauncher(file: string, separate = false): void {
  const field = `ocihooks-hook-launcher=${separate ? 'separate:' : ''}/opt/ocihooks/libexec/${path.basename(file)}\0`;
  fs.writeFileSync(file, `\x7fELF\x02\x01\x01${'\0'.repeat(57)}${field}`, { mode: 0o755 });
}

/**
 * bin/ of a stand-in installation under `dir` (made): its three hook programs, each a small script,
 * which is all that own-programs.ts looks at (their real paths). Returns its path.
 */
export function fakeInstallationBin(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const p of ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig'])
    fs.writeFileSync(path.join(bin, p), '#!/bin/sh\n', { mode: 0o755 });
  return bin;
}
