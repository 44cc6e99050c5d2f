/**
 * Where an engine looks for a runtime's error: docker and containerd call runc with `--log FILE
 * --log-format json` and, when it fails, read the last "error" record of FILE (one JSON object per
 * line: level, msg, time) — the runtime's stderr they discard. The wrapper's own failure (a hooks.d
 * file podman would refuse, a runtime that is not there) is written there the same way, so
 * `docker run` shows it; with `--log-format text` (runc's default) as runc's logrus text line.
 */
import fs = require('node:fs');

/** The runtime's --log file and format from its global options, wherever they stand on the line. */
export function runtimeLog(argv: readonly string[]): { file: string; format: 'json' | 'text' } | undefined {
  let file: string | undefined;
  let format: 'json' | 'text' = 'text';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--log') file = argv[i + 1];
    else if (a.startsWith('--log=')) file = a.slice(6);
    else if (a === '--log-format') format = argv[i + 1] === 'json' ? 'json' : 'text';
    else if (a.startsWith('--log-format=')) format = a.slice(13) === 'json' ? 'json' : 'text';
  }
  return file ? { file, format } : undefined;
}

/** One record as runc writes it; a log that cannot be written is left (stderr still has the line). */
export function writeRuntimeLog(
  log: { file: string; format: 'json' | 'text' },
  message: string,
  now = new Date(),
): void {
  const time = now.toISOString();
  const line =
    log.format === 'json'
      ? JSON.stringify({ level: 'error', msg: message, time })
      : `time=${JSON.stringify(time)} level=error msg=${JSON.stringify(message)}`;
  try {
    fs.appendFileSync(log.file, `${line}\n`);
  } catch {
    // the engine reads stderr then, or nothing: the line was written there too
  }
}
