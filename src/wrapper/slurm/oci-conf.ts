/**
 * `ocihooks doctor` on Slurm's oci.conf: whether Slurm's containers go through ocihooks-runtime,
 * and the mistakes that stop them, each learnt on Slurm 22.05 (docs/slurm.md):
 * `%U` before 23.02 (slurmstepd dies: "unexpected replacement character: U"), one fixed --root for
 * every user (a rootless job cannot use it; root's query at the step's end looks in the wrong
 * one), `kill -a` for rootless containers (runc signals "all" through cgroups they lack), and with
 * crun an option after the container id in RunTimeRun/RunTimeCreate (crun reads its options only
 * before the id: `run %n.%u.%j.%s.%t -b %b` fails with "`run` requires a maximum of 1 arguments").
 */
export interface OciConfCheck {
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

const RUNTIME_KEYS = ['RunTimeQuery', 'RunTimeKill', 'RunTimeDelete', 'RunTimeRun', 'RunTimeCreate', 'RunTimeStart'];

/** The RunTime* lines: key (as Slurm spells it) -> command, quotes taken off. */
export function runtimeLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s*#.*/, '').trim();
    const m = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = RUNTIME_KEYS.find((k) => k.toLowerCase() === (m[1] as string).toLowerCase());
    if (key) out.set(key, (m[2] as string).replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** Whether a line runs crun (through the wrapper's --runtime). */
const runsCrun = (command: string) => /--runtime[= ](\S*\/)?crun(\s|$)/.test(command);

/** Whether `run`/`create` in a command has an option after the container id (Slurm's %n, %u, %j, %s or %t). */
function optionAfterId(command: string): boolean {
  const words = command.split(/\s+/);
  const sub = words.findIndex((w) => w === 'run' || w === 'create');
  if (sub < 0) return false;
  const id = words.findIndex(
    (w, i) =>
      i > sub &&
      !w.startsWith('-') &&
      /%[nujst]/.test(w) &&
      !/^(-b|--bundle|--pid-file|--console-socket)$/.test(words[i - 1] as string),
  );
  return id >= 0 && words.slice(id + 1).some((w) => w.startsWith('-'));
}

/**
 * The oci.conf lines this project ships for Slurm 22.05 and later (docs/slurm.md; the
 * e2e cluster runs them, `ocihooks install` prints them, checkOciConf passes them): every call
 * through the wrapper, one runtime root per user (`%%U` reaches the wrapper as %U), kill without
 * -a, and for crun the bundle option before the container id.
 */
export function ociConfLines(wrapper: string, o: { runtime?: string; root?: string } = {}): string[] {
  const crun = o.runtime !== undefined && /(^|\/)crun$/.test(o.runtime);
  const w = `${wrapper}${o.runtime ? ` --runtime ${o.runtime}` : ''} --root-per-user ${o.root ?? `/run/user/%%U/${crun ? 'crun' : 'runc'}`} --`;
  const id = '%n.%u.%j.%s.%t';
  return [
    `RunTimeQuery="${w} state ${id}"`,
    `RunTimeKill="${w} kill ${id}"`,
    `RunTimeDelete="${w} delete --force ${id}"`,
    `RunTimeRun="${w} ${crun ? `run -b %b ${id}` : `run ${id} -b %b`}"`,
  ];
}

/** What `ocihooks install` prints for Slurm. */
export function slurmSnippet(wrapper: string): string {
  return [
    "Slurm's oci.conf (docs/slurm.md):",
    ...ociConfLines(wrapper).map((l) => `  ${l}`),
    '  with crun: the same with --runtime crun and /run/user/%%U/crun, and',
    `  ${ociConfLines(wrapper, { runtime: 'crun' })[3]}`,
    '',
  ].join('\n');
}

/** `slurmVersion` as `slurmd -V` prints it ("slurm-wlm 22.05.8"), or undefined when unknown. */
export function checkOciConf(text: string, file: string, slurmVersion?: string): OciConfCheck {
  const lines = runtimeLines(text);
  if (!lines.size) return { status: 'warn', detail: `${file}: no RunTime* lines: Slurm runs no containers with it` };
  const all = [...lines.values()];
  if (!all.some((c) => c.includes('ocihooks-runtime')))
    return {
      status: 'warn',
      detail: `${file}: no line calls ocihooks-runtime: Slurm's containers get no hooks.d hooks`,
    };
  const version = /(\d+)\.(\d+)/.exec(slurmVersion ?? '');
  const before2302 = version ? Number(version[1]) * 100 + Number(version[2]) < 2302 : false;
  const bareU = all.some((c) => /(^|[^%])%U/.test(c.replace(/%%/g, '')));
  if (bareU && before2302)
    return {
      status: 'fail',
      detail: `${file}: %U, which ${slurmVersion} does not know (slurmstepd dies: "unexpected replacement character: U"); write --root-per-user /run/user/%%U/runc instead of --root`,
    };
  const perUser = all.every(
    (c) =>
      !c.includes('ocihooks-runtime') || c.includes('--root-per-user') || /--root[= ]\S*%U/.test(c.replace(/%%/g, '%')),
  );
  const problems: string[] = [];
  if (!perUser)
    problems.push(
      "one --root for every user: a rootless job cannot use it and root's query at the step's end looks in the wrong one (use --root-per-user /run/user/%%U/runc)",
    );
  if (
    /\skill\s+(-a|--all)\b/.test(lines.get('RunTimeKill') ?? '') &&
    all.some((c) => c.includes('--root-per-user') || c.includes('--rootless'))
  )
    problems.push('kill -a: runc signals "all" through cgroups, which rootless containers lack (drop -a)');
  const crunOrder = (['RunTimeRun', 'RunTimeCreate'] as const).filter(
    (k) => runsCrun(lines.get(k) ?? '') && optionAfterId(lines.get(k) ?? ''),
  );
  if (crunOrder.length)
    problems.push(
      `${crunOrder.join(', ')}: an option after the container id, which crun does not read there ("requires a maximum of 1 arguments"); write run -b %b %n.%u.%j.%s.%t`,
    );
  if (problems.length) return { status: 'warn', detail: `${file}: ${problems.join('; ')}` };
  return { status: 'ok', detail: `${file}: containers go through ocihooks-runtime, one runtime root per user` };
}
