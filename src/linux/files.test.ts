/** Whole-file writes and whole-fd reads. */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../test/support/e2e';
import { readFdFully, writeFdFully, writeFileAtomically } from './files';

test('writeFileAtomically: exact mode, no temporary file left, old content replaced', () => {
  const dir = tmpDir('files');
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, 'old');
  writeFileAtomically(file, 'new', 0o640);
  expect(fs.readFileSync(file, 'utf8')).toBe('new');
  expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  expect(fs.readdirSync(dir)).toEqual(['config.json']);
  fs.rmSync(dir, { recursive: true });
});

/** The read end of a non-blocking pipe (libuv's) that a child writes to late, in two parts. */
function latePipe(): { fd: number; child: ReturnType<typeof spawn> } {
  const child = spawn('sh', ['-c', 'sleep 0.3; printf part1; sleep 0.2; printf part2'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { fd: (child.stdout as unknown as { _handle: { fd: number } })._handle.fd, child };
}

test('such a pipe makes a plain synchronous read fail with EAGAIN (what runc under load handed a hook)', () => {
  const { fd, child } = latePipe();
  expect(() => fs.readFileSync(fd)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
  child.stdout?.destroy();
  child.kill();
});

test('readFdFully waits on it until the writer is done', () => {
  const { fd, child } = latePipe();
  expect(readFdFully(fd, 5000).toString()).toBe('part1part2');
  child.stdout?.destroy();
  child.kill();
});

test('readFdFully gives up at its timeout on a non-blocking pipe nobody writes to', () => {
  const child = spawn('sh', ['-c', 'sleep 2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fd = (child.stdout as unknown as { _handle: { fd: number } })._handle.fd;
  expect(() => readFdFully(fd, 100)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  child.stdout?.destroy();
  child.kill();
});

test('readFdFully gives up at its timeout on a blocking pipe that is never closed (a plain read would hang)', () => {
  // A FIFO opened read-write: blocking, and its own writer keeps it from ever reaching its end.
  const dir = tmpDir('files');
  const fifo = path.join(dir, 'stdin');
  execFileSync('mkfifo', [fifo]);
  const fd = fs.openSync(fifo, 'r+');
  try {
    fs.writeSync(fd, '{"partial": ');
    const started = Date.now();
    expect(() => readFdFully(fd, 300)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true });
  }
});

test('readFdFully reads a blocking file and /dev/null to their end', () => {
  const fd = fs.openSync('/dev/null', 'r');
  expect(readFdFully(fd, 1000).length).toBe(0);
  fs.closeSync(fd);
  const dir = tmpDir('files');
  fs.writeFileSync(path.join(dir, 'state.json'), 'x'.repeat(200_000));
  const f = fs.openSync(path.join(dir, 'state.json'), 'r');
  expect(readFdFully(f, 1000).toString()).toBe('x'.repeat(200_000));
  fs.closeSync(f);
  fs.rmSync(dir, { recursive: true });
});

/** The write end of a non-blocking pipe (libuv's) whose reader, a child, starts reading late. */
function lateReader(): { fd: number; child: ReturnType<typeof spawn>; received: Promise<string> } {
  const child = spawn('sh', ['-c', 'sleep 0.3; wc -c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const received = new Promise<string>((resolve) => child.on('close', () => resolve(out.trim())));
  return { fd: (child.stdin as unknown as { _handle: { fd: number } })._handle.fd, child, received };
}

test('writeFdFully writes all of a text larger than the pipe, waiting while the pipe is full', async () => {
  const { fd, child, received } = lateReader();
  writeFdFully(fd, 'x'.repeat(1 << 20), 5000);
  child.stdin?.end();
  await expect(received).resolves.toBe(String(1 << 20));
});

test('writeFdFully gives up with EAGAIN when the pipe stays full past its timeout', async () => {
  const { fd, child, received } = lateReader();
  expect(() => writeFdFully(fd, 'x'.repeat(1 << 20), 100)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
  child.stdin?.destroy();
  child.kill();
  await received;
});
