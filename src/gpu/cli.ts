/**
 * What ocihook-gpu does in each of its two modes (its options: arguments.ts): the devices a
 * container gets planned for its createContainer stage, or written into its config.json
 * (precreate). The program (src/cmd/ocihook-gpu.ts) only chooses between them and NVIDIA's
 * subcommands.
 */
import type { Registry } from '../cdi/registry';
import { Json, parseJsonKeepingNumbers, parseWith, stringifyKeepingNumbers } from '../core/json';
import { ociConfigSchema } from '../core/oci';
import fs = require('node:fs');
import { UsageError, messageOf } from '../core/errors';
import type { Plan } from '../core/plan';
import type { HookContext } from '../hook/program/run-program';
import type { PlanContext } from '../hook/container-hook';
import { realHost } from '../hook/real-host';
import { containerEnv } from '../hook/inputs';
import type { LogTarget, Logger } from '../hook/log';
import type { Timing } from '../hook/timing';
import { planGpuCreateContainer } from './plan';
import { editConfigForPrecreate } from './precreate';
import { relayConfigHooks } from '../hook/program/chain-hooks';
import { handOffExit } from '../hook/server/hand-off';
import { type HookServer, hookServerSocket, openHookServerOrWarn, serveHooks } from '../hook/server/hook-server';
import { installationBinOf } from '../hook/program/own-programs';
import { selectDevices } from './registry';
import { type GpuArgs, registryOf } from './arguments';
import { settledGpuHooks } from './settled-hooks';
import type { OciHook } from '../hook/program/chain-hooks';
import path = require('node:path');
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_CDI_DIRS } from '../cdi/registry';
import type { ContainerEdits } from '../cdi/edits';
import type { HostView } from '../core/host-view';
import { selectedEdits } from './edits';
import {
  KEPT_BUILD,
  type SpecFolder,
  entryBytes,
  type KeptLog,
  keepEntry,
  keptEditsOf,
  notingHost,
  readRecords,
  specFolders,
} from './kept-edits';

/**
 * precreate: the config with the selected devices' edits applied (`what` names it in errors), the
 * registry it read and what kept-edits.ts keeps of it (the config as given, the selection's edits).
 */
function precreateConfig(
  args: GpuArgs,
  log: Logger,
  raw: unknown,
  what: string,
  timing: Timing,
  host: HostView,
): { edited: Json; reg: Registry; edits: ContainerEdits } {
  const config = parseWith(ociConfigSchema, raw, what); // raw is an OCI config object from here on
  timing.done('config');
  const reg = registryOf(args, log);
  const sel = selectDevices(
    reg,
    {
      annotations: config.annotations ?? {},
      env: containerEnv(config),
      cliDevices: args.device,
      acceptEnv: args['accept-env'],
    },
    log,
  );
  const edits = selectedEdits(sel.devices);
  const edited = sel.devices.length ? editConfigForPrecreate(raw as Json, sel, host) : (raw as Json);
  timing.done('plan');
  log.info({ devices: sel.devices.map((d) => d.qualifiedName) }, 'precreate');
  return { edited, reg, edits };
}

/**
 * Keeps the edits for the hook launcher that gave this run `key` (kept-edits.ts), where it can
 * apply them to the next config of the same key as they were planned here: a plain run as root,
 * every spec read without a problem (no device nodes discovered instead), the spec folders the same
 * after planning as before, and every createContainer GPU hook the filter left out planned with the
 * filter's own specs.
 */
function keepForLauncher(
  k: {
    key: string;
    args: GpuArgs;
    inv: HookContext['inv'];
    raw: Json;
    planned: Json;
    reg: Registry;
    log: { target: LogTarget; lines: (string | undefined)[] };
  },
  edits: ContainerEdits,
  folders: SpecFolder[] | undefined,
  seen: { nodes: Map<string, string>; paths: Map<string, string> },
  settled: { binDir: string | undefined; left: { hook: OciHook; filtersRegistry: boolean }[] },
): void {
  if (process.geteuid?.() !== 0 || k.args['dry-run'] || k.args['config-file'] !== undefined || !folders) return;
  if (k.reg.problems.length || k.reg.specs.some((s) => s.warnings?.length)) return;
  if (!folders.some((f) => 'names' in f && f.names.some((n) => n.text))) return;
  if (settled.binDir === undefined || settled.left.some((l) => !l.filtersRegistry)) return;
  const log = keptLog(k.log.target, k.log.lines);
  if (!log) return;
  const key = Buffer.from(k.key);
  let parsed: { tag: string; value: Buffer }[];
  try {
    parsed = readRecords(key);
  } catch {
    return;
  }
  const args = parsed.filter((r) => r.tag === 'arg').map((r) => r.value.toString());
  const build = parsed.find((r) => r.tag === 'build')?.value.toString();
  if (build !== KEPT_BUILD || !isDeepStrictEqual(args.slice(1), k.inv.argv)) return;
  const after = specFolders(k.reg.dirs ?? []);
  if (!after || !isDeepStrictEqual(after, folders)) return;
  const busy = [path.join(settled.binDir, 'ocihook-gpu'), ...edits.hooks.map((h) => h.path)];
  const leave = settled.left.map((l) => ({ stage: 'createContainer', hook: l.hook }));
  const kept = keptEditsOf(k.raw, k.planned, edits, busy, leave);
  if (kept) keepEntry(key, entryBytes(key, folders, seen, kept, log));
}

/**
 * The records to write again and where, as the launcher can: each record a line with one place
 * for its time and pid, into a file named whole (a relative name would follow the engine's working
 * folder), and no log file that failed to open (Node says so on each run; the launcher could not).
 */
function keptLog(target: LogTarget, lines: (string | undefined)[]): KeptLog | undefined {
  if (target.problem || lines.some((l) => l === undefined)) return undefined;
  if (!lines.length) return { file: '', lines: [] };
  return target.file && path.isAbsolute(target.file) ? { file: target.file, lines: lines as string[] } : undefined;
}

/** precreate: config.json on stdin (or --config-file), the edited one on stdout. */
export function precreate(args: GpuArgs, ctx: HookContext): void {
  if (args['config-file'] === '')
    throw new UsageError('--config-file: empty (a config.json, or leave it out for stdin)');
  const what = args['config-file'] !== undefined ? `config ${args['config-file']}` : 'config on stdin';
  let text: string;
  try {
    text = args['config-file'] !== undefined ? fs.readFileSync(args['config-file'], 'utf8') : ctx.inv.stdin();
  } catch (e) {
    throw new UsageError(`${what}: ${messageOf(e)}`, { cause: e });
  }
  // Given a key by the hook launcher: what the edits depend on is noted for it (keepForLauncher).
  const key = ctx.inv.handOff?.precreateKey;
  const folders = key !== undefined ? specFolders(args['cdi-spec-dir'] ?? DEFAULT_CDI_DIRS) : undefined;
  const noted = key !== undefined ? notingHost(realHost) : undefined;
  const host = noted ?? realHost;
  // The records written while planning, which the launcher writes again where it applies the edits.
  const lines: (string | undefined)[] = [];
  const log = key !== undefined ? ctx.log.tapped((line) => lines.push(line)) : ctx.log;
  const raw = parseJsonKeepingNumbers(text, what);
  const { edited, reg, edits } = precreateConfig(args, log, raw, what, ctx.inv.timing, host);
  const binDir = installationBinOf(ctx.inv.path);
  const settled = settledGpuHooks(edited, { binDir, host, filter: { args, reg } }, log);
  let config = settled.config;
  if (key !== undefined && noted)
    keepForLauncher(
      { key, args, inv: ctx.inv, raw: raw as Json, planned: config, reg, log: { target: ctx.log.target, lines } },
      edits,
      folders,
      noted,
      { binDir, left: settled.left },
    );
  // Started apart by the hook launcher (as root): the config's first stages' hooks of this
  // installation ask this process, which stays to run them (hook/server/hook-server.ts). The server
  // is opened only for a config that has such hooks (a spec without hooks needs none).
  const h = ctx.inv.handOff;
  let server: HookServer | undefined;
  let served = 0;
  if (h) {
    const socket = hookServerSocket();
    const relayed = relayConfigHooks(config, binDir, socket);
    server = relayed.served > 0 ? openHookServerOrWarn(h, ctx.log) : undefined;
    if (server?.socket === socket) ({ config, served } = relayed);
  }
  ctx.inv.stdout(stringifyKeepingNumbers(config));
  if (!h || !server) return;
  try {
    if (served === 0) return;
    handOffExit(h, 0); // the filter's work is done: podman goes on, with the output
    serveHooks(server, served, ctx.inv.dispatch, ctx.log, `${ctx.inv.program} precreate`);
  } finally {
    server.close();
  }
}

/** createContainer: the devices the container asks for (annotations, --device, the image env if accepted), planned. */
export function createContainerPlan(p: PlanContext, args: GpuArgs, log: Logger): Plan {
  const annotations = { ...(p.bundle.config.annotations ?? {}), ...(p.state.annotations ?? {}) };
  const reg = registryOf(args, log);
  const sel = selectDevices(
    reg,
    { annotations, env: containerEnv(p.bundle.config), cliDevices: args.device, acceptEnv: args['accept-env'] },
    log,
  );
  return planGpuCreateContainer(p, sel, realHost);
}
