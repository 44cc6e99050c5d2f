import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkOciConf, ociConfLines, runtimeLines } from './oci-conf';

const W = '/usr/local/libexec/ocihooks/bin/ocihooks-runtime';
const conf = (kill: string, root: string) =>
  [
    `RunTimeQuery="${W} ${root} state %n.%u.%j.%s.%t"`,
    `RunTimeKill="${W} ${root} ${kill} %n.%u.%j.%s.%t"`,
    `RunTimeDelete="${W} ${root} delete --force %n.%u.%j.%s.%t"`,
    `RunTimeRun="${W} ${root} run %n.%u.%j.%s.%t -b %b"`,
  ].join('\n');
const DOCUMENTED = conf('kill', '--root-per-user /run/user/%%U/runc --');
const crun = (run: string) =>
  `${conf('kill', '--runtime crun --root-per-user /run/user/%%U/crun --').replace(/RunTimeRun=.*/, '')}RunTimeRun="${W} --runtime crun --root-per-user /run/user/%%U/crun -- ${run}"\n`;

test.each([
  ['runc', ociConfLines(W)],
  ['crun', ociConfLines(W, { runtime: 'crun' })],
  ['crun by path', ociConfLines(W, { runtime: '/usr/bin/crun', root: '/run/user/%%U/crun-x' })],
])('the lines ocihooks ships and install prints (%s) pass', (_name, lines) => {
  expect(checkOciConf(lines.join('\n') + '\n', '/etc/slurm/oci.conf', 'slurm-wlm 22.05.8')).toEqual({
    status: 'ok',
    detail: '/etc/slurm/oci.conf: containers go through ocihooks-runtime, one runtime root per user',
  });
});

test('the lines are the ones docs/slurm.md shows, runc and crun', () => {
  expect(ociConfLines(W).join('\n')).toBe(DOCUMENTED);
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'slurm.md'), 'utf8');
  for (const line of [...ociConfLines(W), ociConfLines(W, { runtime: 'crun' })[3]]) expect(doc).toContain(line);
  expect(ociConfLines(W, { runtime: 'crun' })[3]).toBe(
    `RunTimeRun="${W} --runtime crun --root-per-user /run/user/%%U/crun -- run -b %b %n.%u.%j.%s.%t"`,
  );
});

test('the lines, quotes off, keys as Slurm spells them whatever their case; comments ignored', () => {
  expect([...runtimeLines('# RunTimeRun="x"\nruntimerun="runc run %n"\nContainerPath=/x\n').entries()]).toEqual([
    ['RunTimeRun', 'runc run %n'],
  ]);
});

test.each([
  ['the documented file on 22.05', DOCUMENTED, 'slurm-wlm 22.05.8', 'ok', 'containers go through ocihooks-runtime'],
  [
    'the 23.02 form with %U in --root',
    conf('kill', '-- --root=/run/user/%U/runc'),
    'slurm 23.02.7',
    'ok',
    'one runtime root per user',
  ],
  [
    '%U on 22.05',
    conf('kill', '-- --root=/run/user/%U/runc'),
    'slurm-wlm 22.05.8',
    'fail',
    'unexpected replacement character: U',
  ],
  [
    'one fixed --root',
    conf('kill', '-- --root=/run/ocihooks-runc'),
    'slurm-wlm 22.05.8',
    'warn',
    'one --root for every user',
  ],
  [
    'kill -a with per-user roots',
    conf('kill -a', '--root-per-user /run/user/%%U/runc --'),
    'slurm-wlm 22.05.8',
    'warn',
    'kill -a',
  ],
  [
    'plain runc, no wrapper',
    'RunTimeRun="runc --root=/r run %n -b %b"\n',
    'slurm-wlm 22.05.8',
    'warn',
    "Slurm's containers get no hooks.d hooks",
  ],
  ['no RunTime lines', 'ContainerPath=/x\n', undefined, 'warn', 'Slurm runs no containers'],
  [
    'crun with -b %b before the id (the documented crun lines)',
    crun('run -b %b %n.%u.%j.%s.%t'),
    'slurm-wlm 22.05.8',
    'ok',
    'one runtime root per user',
  ],
  [
    'crun with --bundle=%b before the id',
    crun('run --bundle=%b %n.%u.%j.%s.%t'),
    'slurm-wlm 22.05.8',
    'ok',
    'one runtime root per user',
  ],
  [
    'crun with -b %b after the id',
    crun('run %n.%u.%j.%s.%t -b %b'),
    'slurm-wlm 22.05.8',
    'warn',
    'RunTimeRun: an option after the container id, which crun does not read there',
  ],
  [
    'crun by path, --runtime=, after the id',
    crun('run %n.%u.%j.%s.%t -b %b').replaceAll('--runtime crun', '--runtime=/usr/bin/crun'),
    'slurm-wlm 22.05.8',
    'warn',
    'RunTimeRun: an option after the container id',
  ],
  [
    'runc with -b %b after the id (runc reads options anywhere)',
    DOCUMENTED,
    'slurm-wlm 22.05.8',
    'ok',
    'one runtime root per user',
  ],
] as const)('%s: %s', (_name, text, version, status, detail) => {
  const c = checkOciConf(text, '/etc/slurm/oci.conf', version);
  expect(c.status).toBe(status);
  expect(c.detail).toContain(detail);
  expect(c.detail.startsWith('/etc/slurm/oci.conf: ')).toBe(true);
});
