/**
 * The built runtime front-end (native/front-end/), as `node scripts/build.mjs native` leaves it, and
 * the cases it and the wrapper must decide alike (src/wrapper/testdata/front-end-cases.json), with
 * the scratch files those cases name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRuntimeArgs } from '../../src/wrapper/command-line/runtime-args';
import { readRuntimeConfig } from '../../src/wrapper/config-file';
import { parseWrapperOptions, resolveRuntime } from '../../src/wrapper/command-line/options';
import { withPerUserRoot } from '../../src/wrapper/command-line/per-user-root';

export const FRONT_END = path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'runtime-front-end');
if (!fs.existsSync(FRONT_END)) throw new Error(`${FRONT_END}: missing; run node scripts/build.mjs native`);

export interface FrontEndCase {
  name: string;
  argv: string[];
  /** The config file (OCIHOOKS_RUNTIME_CONFIG), a path; none when absent. */
  config?: string;
  /** "wrapper", or "exec PATH [ARG]...": as root, who runs the end-of-step calls. */
  decision: string;
  /** The decision for any other caller, where it differs ($UID: the caller's uid). */
  decisionAsUser?: string;
}

/** Config files laid out as install writes them, and by hand. */
function configFiles(dir: string): Record<string, string> {
  const texts: Record<string, string> = {
    installed: JSON.stringify({ runtime: 'crun', hooksDirs: ['/h'] }, null, 2) + '\n',
    absolute: JSON.stringify({ runtime: '/usr/sbin/runc' }, null, 2) + '\n',
    noRuntime: JSON.stringify({ hooksDirs: ['/h'] }, null, 2) + '\n',
    podman4: JSON.stringify({ runtime: 'crun', hooksDirs: ['/h'], prestartAs: 'prestart' }, null, 2) + '\n',
    broken: '{"runtime": ',
    // Spacing, a last field without a comma and no final newline.
    spaced: '{\n\t "hooksDirs" : ["/h"],\n   "runtime"   :   "crun"   \n}',
    // "runtime" as a value elsewhere.
    mentioned: JSON.stringify({ annotations: { what: '"runtime"' }, runtime: 'crun' }, null, 2) + '\n',
    mentionedOnly: JSON.stringify({ annotations: { k: 'the "runtime" key' } }, null, 2) + '\n',
    emptyRuntime: '{\n  "runtime": ""\n}\n',
    oneLine: JSON.stringify({ runtime: 'crun' }),
    // "runtime" as a key twice, one of them an annotation's.
    nested: JSON.stringify({ runtime: 'runc', annotations: { runtime: 'crun' } }, null, 2) + '\n',
    // What the schema refuses: a misspelt field, a literal JSON does not have, values of the wrong kind.
    misspelt: '{\n  "runtme": "crun"\n}\n',
    notALiteral: '{\n  "runtime": "crun",\n  "serveHooks": tru\n}\n',
    aNumberAsFolder: '{\n  "runtime": "crun",\n  "hooksDirs": [1]\n}\n',
    anEmptyFolder: '{\n  "runtime": "crun",\n  "cdiSpecDirs": [""]\n}\n',
    unknownPrestartAs: '{\n  "runtime": "crun",\n  "prestartAs": "poststart"\n}\n',
    aNumberAsAnnotation: '{\n  "runtime": "crun",\n  "annotations": {"k": 1}\n}\n',
    notAnObject: '["crun"]\n',
    badEscape: '{\n  "runtime": "crun",\n  "logFile": "/var/log/\\x.log"\n}\n',
    allFields:
      JSON.stringify(
        {
          runtime: 'crun',
          hooksDirs: ['/h'],
          annotations: { k: 'v' },
          logFile: '/l',
          cdiSpecDirs: ['/c'],
          prestartAs: 'createRuntime',
          serveHooks: false,
        },
        null,
        2,
      ) + '\n',
  };
  return Object.fromEntries(
    Object.entries(texts).map(([name, text]) => {
      fs.writeFileSync(path.join(dir, `${name}.json`), text);
      return [name, path.join(dir, `${name}.json`)];
    }),
  );
}

/**
 * The shared cases, made concrete in dir: its config files and users' runtime roots (c1 in 1000's,
 * "shared" in 1001's and 1000's, 7's for %U twice, a non-numeric folder).
 */
export function frontEndCases(dir: string): FrontEndCase[] {
  const files = configFiles(dir);
  // The environment's first entry (frontEndCaseEnv) as a container of 1000's: a reading past the arguments would find it.
  const firstEnv = '1000/runc/OCIHOOKS_FRONTEND_TRACE=1';
  for (const p of [
    '1000/runc/c1',
    '1001/runc/shared',
    '1000/runc/shared',
    '7/x/7/c1',
    'nobody/runc/c9',
    '0/runc',
    firstEnv,
  ])
    fs.mkdirSync(path.join(dir, 'users', p), { recursive: true });
  const data = JSON.parse(
    fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'wrapper', 'testdata', 'front-end-cases.json'), 'utf8'),
  ) as { cases: FrontEndCase[] };
  const inDir = (s: string) => s.split('$DIR').join(dir);
  // A case's decision for this caller: --root-per-user looks up whose root holds a container only as root.
  return data.cases.map((c) => ({
    name: c.name,
    argv: c.argv.map(inDir),
    ...(c.config !== undefined ? { config: files[c.config] ?? inDir(c.config) } : {}),
    decision: inDir(
      process.getuid?.() === 0
        ? c.decision
        : (c.decisionAsUser ?? c.decision).split('$UID').join(String(process.getuid?.())),
    ),
  }));
}

/** The environment a case runs in: the decision printed, not acted on. */
export function frontEndCaseEnv(c: FrontEndCase): NodeJS.ProcessEnv {
  return {
    OCIHOOKS_FRONTEND_TRACE: '1',
    PATH: '/usr/bin:/bin',
    ...(c.config !== undefined ? { OCIHOOKS_RUNTIME_CONFIG: c.config } : {}),
  };
}

/** What the wrapper does with argv, from its own parsers: runs its own code ("wrapper") or becomes the runtime. */
export function wrapperDecision(argv: string[], env: NodeJS.ProcessEnv): string {
  try {
    const o = parseWrapperOptions(argv, readRuntimeConfig(env));
    if (o.answer) return 'wrapper'; // runs the wrapper's own code
    const cmd = parseRuntimeArgs(o.runtimeArgs, '/');
    if (cmd.subcommand === 'create' || cmd.subcommand === 'run') return 'wrapper';
    const args = o.rootPerUser !== undefined ? withPerUserRoot(o.rootPerUser, o.runtimeArgs, cmd) : o.runtimeArgs;
    return `exec ${resolveRuntime(o.runtime)}${args.map((a) => ` [${a}]`).join('')}`;
  } catch {
    return 'wrapper'; // an error: the wrapper reports it
  }
}
