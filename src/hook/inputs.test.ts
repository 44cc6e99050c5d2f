/** The hook's stdin as a runtime hands it over: read whole, or one line saying why not. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../test/support/e2e';
import { UsageError } from '../core/errors';
import { readProcessStdin } from './inputs';

function fifo(): { dir: string; file: string } {
  const dir = tmpDir('inputs');
  const file = path.join(dir, 'stdin');
  execFileSync('mkfifo', [file]);
  return { dir, file };
}

test('a stdin that is never closed: a usage error naming it, after the timeout (not a hang)', () => {
  const { dir, file } = fifo();
  // Opened read-write: this process is its own writer, so the pipe never reaches its end.
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, '{"ociVersion": "1.0.2"');
    let thrown: unknown;
    try {
      readProcessStdin(fd, 200);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as Error).message).toBe(
      "stdin: not closed within 0.2 s (a runtime closes it after writing the state, podman after a precreate hook's config.json; by hand use --state-file FILE)",
    );
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true });
  }
});

test('a stdin whose writer wrote and closed it is read whole', () => {
  const { dir, file } = fifo();
  const reader = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writer = fs.openSync(file, 'w');
  fs.writeSync(writer, '{"ociVersion": "1.0.2"}');
  fs.closeSync(writer);
  try {
    expect(readProcessStdin(reader, 1000)).toBe('{"ociVersion": "1.0.2"}');
  } finally {
    fs.closeSync(reader);
    fs.rmSync(dir, { recursive: true });
  }
});
