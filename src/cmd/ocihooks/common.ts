/** What the ocihooks subcommands share: where the installation is, reading a config, reporting. */
import fs = require('node:fs');
import path = require('node:path');
import { UsageError, messageOf } from '../../core/errors';
import { parseJson, parseWith } from '../../core/json';
import { OciConfig, ociConfigSchema } from '../../core/oci';
import { PRESTART_AS } from '../../hooksd/prestart';

export const PROGRAM = 'ocihooks';

/** The installation this program runs from: <prefix>/lib holds the bundles (__dirname), <prefix>/bin the launchers. */
export const PREFIX = path.resolve(__dirname, '..');
export const BIN_DIR = path.join(PREFIX, 'bin');

/** Reads and checks a config.json named on the command line. */
export function readConfigFile(file: string): OciConfig {
  const what = `config ${file}`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${what}: ${messageOf(e)}`, { cause: e });
  }
  return parseWith(ociConfigSchema, parseJson(text, what), what);
}

/** What install and code-cache did: files on stdout, problems on stderr (and exit 1). */
export function printReport(report: { written: string[]; skipped?: string[]; problems: string[] }): void {
  for (const w of report.written) process.stdout.write(`wrote ${w}\n`);
  for (const s of report.skipped ?? []) process.stdout.write(`skipped ${s}\n`);
  for (const p of report.problems) process.stderr.write(`${PROGRAM}: ${p}\n`);
  if (report.problems.length) process.exitCode = 1;
}

/** --prestart-as, for validate and match. */
export const PRESTART_AS_OPTION = {
  type: 'string',
  choices: PRESTART_AS,
  describe:
    "where a file's prestart stage goes: createRuntime as podman 5 injects it, prestart as podman 4 (default: as this host's podman, else createRuntime)",
} as const;
