/**
 * The installed hook launcher (native/hook-launcher/), built and made for an installation whose
 * Node launcher is a stand-in that says how it was started: a relayed hook whose hook server ends
 * without having read it, and the environment the launcher starts Node with (the runtime's, or its
 * own from a start apart: native/freestanding/apart.c, node-env.c). The relay filter's edits:
 * relay-filter.test.ts; runs of hooks and real hook servers: test/e2e/hook-runs.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HOOK_LAUNCHER, frontEndFor } from '../../admin/launcher-field';
import { native } from '../../linux/native';

const built = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'native', 'build', 'Release', 'hook-launcher'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-launcher-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const root = process.geteuid?.() === 0;

// The stand-in for libexec/<program>: its arguments, then its OCIHOOKS_* and NODE_* variables
// (sorted, cut short); started apart, it answers as a program does when it ends (exit code 0).
const standIn = path.join(dir, 'stand-in.sh');
fs.writeFileSync(
  standIn,
  `#!/bin/sh
echo "program $*"
env | grep -E '^(OCIHOOKS|NODE)_' | cut -c1-80 | sort
[ -z "$OCIHOOKS_RUNTIME_RELAY" ] || { printf OCR1; head -c 12 /dev/zero; } >&\${OCIHOOKS_RUNTIME_RELAY%%:*}
`,
  { mode: 0o755 },
);
/** bin/<program> of an installation (`mark`: SEPARATE_MARK for one process per hook). */
const installed = (folder: string, program: string, mark = '') => {
  fs.mkdirSync(path.join(dir, folder), { recursive: true });
  const file = path.join(dir, folder, program);
  fs.writeFileSync(file, frontEndFor(built, 'hook-launcher', standIn, HOOK_LAUNCHER, mark), { mode: 0o755 });
  return file;
};
const mount = installed('bin', 'ocihook-mount');
const gpu = installed('bin', 'ocihook-gpu');
const separate = installed('separate/bin', 'ocihook-mount', 'separate:');
const PATH = '/usr/bin:/bin';

describe('a relayed hook whose server ends without an answer', () => {
  test('never accepted (its listening socket closed: idle, the process served for gone): the launcher starts the program itself', async () => {
    const socket = path.join(dir, 'never-accepts.sock');
    const listenFd = native().relayListen(socket);
    const child = spawn(mount, [`--ocihooks-relay=${socket}`, '--mount=x'], { env: { PATH } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Its request sent, the launcher waits for the answer (asleep, its socket open): only then is
    // the listening socket closed, with the connection still in its queue.
    const waiting = () => {
      try {
        const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fds = fs.readdirSync(`/proc/${child.pid}/fd`).map((f) => {
          try {
            return fs.readlinkSync(`/proc/${child.pid}/fd/${f}`);
          } catch {
            return '';
          }
        });
        return stat.slice(stat.lastIndexOf(')') + 2).startsWith('S') && fds.some((l) => l.startsWith('socket:'));
      } catch {
        return false;
      }
    };
    for (let tries = 0; tries < 500 && !waiting(); tries++) await new Promise((r) => setTimeout(r, 10));
    expect(waiting()).toBe(true);
    fs.closeSync(listenFd);
    fs.rmSync(socket);
    const status = await ended;
    expect([status, Buffer.concat(out).toString(), Buffer.concat(err).toString()]).toEqual([
      0,
      `program --mount=x\nOCIHOOKS_STARTED_AS=${mount}\n`,
      '',
    ]);
  });

  test('its whole request read, then the connection closed: it may have run the hook, so one line and exit 1', async () => {
    const socket = path.join(dir, 'reads-then-closes.sock');
    const server = net.createServer((conn) => {
      let got = Buffer.alloc(0);
      conn.on('data', (b: Buffer) => {
        got = Buffer.concat([got, b]);
        // Four words (the last: the strings' bytes), then the strings: all of it, and no answer.
        if (got.length >= 16 && got.length >= 16 + got.readUInt32LE(12)) conn.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(mount, [`--ocihooks-relay=${socket}`, '--mount=x'], { env: { PATH } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
      expect(r).toEqual({ status: 1, stdout: '', stderr: `${mount}: the hook server ended without an answer\n` });
    } finally {
      server.close();
    }
  });
});

describe('the environment Node is started with', () => {
  // What only a starter of ours sets, beside a hand-off it made: from an engine, a forgery (with
  // RELAY and EARLY a Node program as root would serve, and then remove, a socket of its choosing).
  const forged = {
    OCIHOOKS_RUNTIME_RELAY: '99:1',
    OCIHOOKS_RUNTIME_EARLY: '98:1:/tmp/not-a-server.sock',
    OCIHOOKS_PRECREATE_KEY: 'forged',
  };
  const env = { PATH, ...forged, OCIHOOKS_OTHER: 'kept', NODE_OPTIONS: '--require=/x' };

  test.each([
    ['the installation', mount, [`OCIHOOKS_STARTED_AS=${mount}`]],
    ['one process per hook', separate, []],
  ])(
    '%s: from the runtime, the hand-off variables are not passed on; the rest is, NODE_* put aside',
    (_name, launcher, startedAs) => {
      const r = spawnSync(launcher, ['--mount=x'], { env, encoding: 'utf8' });
      expect([r.status, r.stdout, r.stderr]).toEqual([
        0,
        ['program --mount=x', 'OCIHOOKS_ASIDE_NODE_OPTIONS=--require=/x', 'OCIHOOKS_OTHER=kept', ...startedAs, ''].join(
          '\n',
        ),
        '',
      ]);
    },
  );

  (root ? test : test.skip)(
    "started apart (`ocihook-gpu precreate` as root, no key of the launcher's own): its own hand-off alone",
    () => {
      const r = spawnSync(gpu, ['precreate'], { env, input: 'not a config', encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([0, '']);
      const lines = r.stdout.split('\n');
      expect(lines.filter((l) => l.startsWith('OCIHOOKS_RUNTIME_') || l.startsWith('OCIHOOKS_PRECREATE_'))).toEqual([
        expect.stringMatching(/^OCIHOOKS_RUNTIME_RELAY=\d+:\d+(:\d+)?$/),
      ]);
      expect(lines).not.toContain(`OCIHOOKS_RUNTIME_RELAY=${forged.OCIHOOKS_RUNTIME_RELAY}`);
    },
  );
});

describe('an environment too large to reach Node whole: one line naming the limit, exit 2, no start', () => {
  const tooMany = Object.fromEntries(Array.from({ length: 8200 }, (_, i) => [`V${i}`, '1']));
  // 3 × 20000 bytes set aside fit in 64 KiB; NODE_OPTIONS after them does not.
  const tooLarge = {
    ...Object.fromEntries(['NODE_A', 'NODE_B', 'NODE_C'].map((k) => [k, 'x'.repeat(20000)])),
    NODE_OPTIONS: `--require=/${'x'.repeat(10000)}`,
  };
  const manyLine =
    'not started: the environment holds more than 8191 variables, the most this installation starts Node with';
  const largeLine = 'not started: its NODE_* variables need more than the 64 KiB this installation sets aside for Node';
  type Case = [string, string, string[], Record<string, string>, string];
  test.each<Case>([
    ['more variables than it passes on', mount, ['--mount=x'], tooMany, manyLine],
    ['NODE_* variables past the room to set them aside', mount, ['--mount=x'], tooLarge, largeLine],
    ['one process per hook', separate, ['--mount=x'], tooLarge, largeLine],
    // Started apart, it is the launcher's own start in its place that says so (apart.c start_apart).
    ...(root
      ? ([
          ['started apart (`ocihook-gpu precreate` as root)', gpu, ['precreate'], tooMany, manyLine],
          ['started apart, NODE_*', gpu, ['precreate'], tooLarge, largeLine],
        ] as Case[])
      : []),
  ])('%s', (_name, launcher, argv, extra, line) => {
    const r = spawnSync(launcher, argv, { env: { PATH, ...extra }, input: 'not a config', encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', `${path.basename(launcher)}: ${line}\n`]);
  });
  test('the most that fits: 8191 with OCIHOOKS_STARTED_AS, started; one more is too many', () => {
    const vars = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, '1']));
    const fits = spawnSync(mount, ['--mount=x'], { env: { PATH, ...vars(8189) }, encoding: 'utf8' });
    expect([fits.status, fits.stdout.split('\n')[0], fits.stderr]).toEqual([0, 'program --mount=x', '']);
    const over = spawnSync(mount, ['--mount=x'], { env: { PATH, ...vars(8190) }, encoding: 'utf8' });
    expect([over.status, over.stdout, over.stderr]).toEqual([2, '', `ocihook-mount: ${manyLine}\n`]);
  });
});
