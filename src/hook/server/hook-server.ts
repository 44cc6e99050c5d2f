/**
 * The hook server: a program started apart (hand-off.ts) — the runtime wrapper for a create or run,
 * podman's GPU precreate filter — outlives its answer and runs the installation's hooks of the
 * container's first stages (chain-hooks.ts RELAYED_STAGES) for the runtime. The runtime starts
 * each such hook as usual, the installed hook launcher, which sends its command line,
 * environment, stdio and working folder here instead of starting Node
 * (native/hook-launcher/relay.c): one Node start per container where there were two.
 *
 * Each request runs as the launcher's process would have run it: its own argv and env, the OCI
 * state from its stdin, its lines on its stdout and stderr, in its mount namespace and working
 * folder (the runtime runs createContainer hooks inside the container's mount namespace); its
 * exit code is the launcher's. A launcher that is not root in this user namespace, or that the
 * server cannot serve for any reason, is declined and starts the program itself. The server ends
 * when every hook it put into the config has been asked for, when the process it serves for has
 * ended (the runtime, or the engine), or when none has come for IDLE_MS; its socket (0600, in a
 * root-only folder) goes with it.
 */
import fs = require('node:fs');
import path = require('node:path');
import { failureLine, messageOf } from '../../core/errors';
import { readProcessStdin } from '../inputs';
import { envFromList, Invocation, once } from '../program/invocation';
import { HOOK_PROGRAMS } from '../program/own-programs';
import type { Logger } from '../log';
import { Timing } from '../timing';
import { writeFdFully } from '../../linux/files';
import { native } from '../../linux/native';
import { inUserNamespace, sameUserNamespace } from '../../linux/userns';
import type { HandOff } from './hand-off';

/** Where the servers' sockets are, one per server: <pid>.sock. */
export const HOOK_SERVER_DIR = '/run/ocihooks/hook-servers';

/** The answer that tells the launcher to start the program itself. */
const DECLINED = -1;

/**
 * How long the server waits for the next hook: a runtime that has not asked by then (one that
 * skips a stage, or a foreign hook before ours that takes this long) finds the socket gone and its
 * launchers start the programs themselves, as without a server.
 */
const IDLE_MS = 30_000;

/**
 * An early create's slots have no program of their own to fall back on (src/wrapper/early-create.ts):
 * the server waits for them as long as the runtime runs (its hooks' timeouts bound the wait).
 */
export const UNTIL_THE_RUNTIME_ENDS_MS = 24 * 3600_000;

/** One hook a launcher asks the server to run (native/relay.c relayNext). */
type Request = NonNullable<ReturnType<ReturnType<typeof native>['relayNext']>>;

export interface HookServer {
  socket: string;
  listenFd: number;
  /** Becomes readable when the process served for (the runtime, or the engine) has ended. */
  watchedFd: number;
  close(): void;
}

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`);

/**
 * A listening server for the hand-off's runtime, or undefined where there can be none: not root
 * in the host's user namespace (a rootless wrapper's hooks start as before), or the front-end
 * already gone.
 */
/** The socket openHookServer makes for this process: known before, so that a config can name it first. */
export const hookServerSocket = (): string => path.join(HOOK_SERVER_DIR, `${process.pid}.sock`);

export function openHookServer(h: HandOff): HookServer | undefined {
  if (process.geteuid?.() !== 0 || inUserNamespace('self')) return undefined;
  const watchedFd = watchedProcess(h);
  try {
    fs.mkdirSync(HOOK_SERVER_DIR, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(HOOK_SERVER_DIR);
    if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o077) !== 0)
      throw new Error(`${HOOK_SERVER_DIR} is not a folder of root's that only root can reach`);
    // Sockets of servers that were killed before they could remove theirs: <pid>.sock, or the relay
    // filter's <pid>-<its own pid>.sock, named by the process each serves for while it lives.
    for (const name of fs.readdirSync(HOOK_SERVER_DIR)) {
      const pid = /^(\d+)(?:-\d+)?\.sock$/.exec(name)?.[1];
      if (pid && (Number(pid) === process.pid || !alive(Number(pid))))
        fs.rmSync(path.join(HOOK_SERVER_DIR, name), { force: true });
    }
    const socket = hookServerSocket();
    return serverAt(socket, native().relayListen(socket), watchedFd);
  } catch (e) {
    fs.closeSync(watchedFd);
    throw e;
  }
}

/** The server whose socket an early create's front-end made (hand-off.ts `early`). */
export function adoptHookServer(h: HandOff & { early: NonNullable<HandOff['early']> }): HookServer {
  const { listenFd, socket } = h.early;
  let watchedFd: number;
  try {
    watchedFd = watchedProcess(h);
  } catch (e) {
    fs.rmSync(socket, { force: true });
    fs.closeSync(listenFd);
    throw e;
  }
  return serverAt(socket, listenFd, watchedFd);
}

/**
 * The served process as a pidfd: the one the starter opened (native/freestanding/apart.c), else
 * one opened now. Only the starter's is sure to be that process where nobody waits for an answer
 * (an early create's runtime, started at once, may have ended and its pid been reused); opened
 * here before the answer, the starter (and the process it serves for) still waits for it.
 */
function watchedProcess(h: HandOff): number {
  return h.watchedFd ?? native().pidfdOpen(h.watched);
}

/** A server of these fds; close() removes its socket. */
function serverAt(socket: string, listenFd: number, watchedFd: number): HookServer {
  let open = true;
  return {
    socket,
    listenFd,
    watchedFd,
    close() {
      if (!open) return;
      open = false;
      fs.rmSync(socket, { force: true });
      fs.closeSync(listenFd);
      fs.closeSync(watchedFd);
    },
  };
}

/**
 * A hook program started apart by the installation's relay filter (native/hook-launcher/
 * precreate-relay.c, podman's precreate stage): the filter made the socket and relayed
 * `early.slots` of the config's hooks to it; this process serves them as their launchers ask,
 * until the engine that ran the filter ends or none has asked for IDLE_MS. Its exit code: 0
 * (nobody waits for it).
 */
export function serveRelayed(
  h: HandOff & { early: NonNullable<HandOff['early']> },
  dispatch: (inv: Invocation) => number,
  log: Logger,
  ranIn: string,
): number {
  let server: HookServer;
  try {
    server = adoptHookServer(h);
  } catch (e) {
    log.warn({ err: messageOf(e) }, 'relay filter: no hook server (its engine has ended); each hook starts itself');
    return 0;
  }
  try {
    // IDLE_MS as for any server: a relayed hook whose server is gone starts its program itself, and
    // the engine served for may be a daemon (CRI-O) that outlives a container that never asks.
    serveHooks(server, h.early.slots, dispatch, log, ranIn);
  } finally {
    server.close();
  }
  return 0;
}

/** A server for the hand-off; one that cannot be had is a warning, and the hooks start Node as before. */
export function openHookServerOrWarn(h: HandOff, log: Logger): HookServer | undefined {
  try {
    return openHookServer(h);
  } catch (e) {
    log.warn({ err: messageOf(e) }, 'no hook server: each stage starts its hooks itself');
    return undefined;
  }
}

/**
 * Serves up to `expected` requests (the hooks the config got: one each), until the runtime ends or
 * none has come for `idleMs`. Returns how many were run here.
 */
export function serveHooks(
  server: HookServer,
  expected: number,
  dispatch: (inv: Invocation) => number,
  log: Logger,
  ranIn: string,
  idleMs = IDLE_MS,
): number {
  // Whatever the runtime does now, this process must not keep the engine waiting on its pipes.
  native().releaseStdio();
  let ran = 0;
  for (let asked = 0; asked < expected; asked++) {
    const req: Request | null = native().relayNext(server.listenFd, server.watchedFd, idleMs);
    if (!req) {
      log.info({ asked, expected }, 'hook server ends: the process it serves for has ended, or no hook asks');
      break;
    }
    let code: number;
    try {
      code = runRequest(req, dispatch, log, ranIn);
    } catch (e) {
      // Nothing of the hook's own: the server's failure, said where the hook's would be.
      code = 1;
      writeQuietly(req.fds[2], failureLine(path.basename(req.path), e));
    } finally {
      for (const fd of req.fds) fs.closeSync(fd);
    }
    if (code !== DECLINED) ran++;
    const answer = Buffer.alloc(4);
    answer.writeInt32LE(code);
    try {
      writeFdFully(req.conn, answer, 1000);
    } catch (e) {
      // The runtime killed the launcher (its timeout): the runtime has its answer already.
      log.warn(
        { launcher: req.path, err: messageOf(e) },
        "hook launcher gone before the answer: the runtime stopped waiting (the hook's timeout)",
      );
    } finally {
      fs.closeSync(req.conn);
    }
  }
  log.info({ ran, expected }, 'hooks served');
  return ran;
}

function writeQuietly(fd: number, text: string): void {
  try {
    writeFdFully(fd, text, 1000);
  } catch {
    // a reader gone, as with a process's own stderr
  }
}

function runRequest(req: Request, dispatch: (inv: Invocation) => number, log: Logger, ranIn: string): number {
  const program = path.basename(req.path);
  if (req.uid !== process.geteuid?.() || !sameUserNamespace(req.pid) || !HOOK_PROGRAMS.includes(program as never)) {
    log.info({ launcher: req.path, pid: req.pid, uid: req.uid }, 'hook declined: started by its launcher');
    return DECLINED;
  }
  const inv: Invocation = {
    program,
    path: req.path,
    argv: req.argv.slice(1),
    env: envFromList(req.env),
    stdin: once(() => readProcessStdin(req.fds[0])),
    stdout: (t) => writeFdFully(req.fds[1], t),
    stderr: (t) => writeQuietly(req.fds[2], t),
    timing: new Timing(),
    dispatch,
    ranIn,
    abandoned: () => native().relayGone(req.conn),
  };
  let leave: () => void;
  try {
    leave = enterLike(req.pid, req.fds[3]);
  } catch (e) {
    log.warn(
      { launcher: req.path, pid: req.pid, err: messageOf(e) },
      "hook declined: cannot take its launcher's place",
    );
    return DECLINED;
  }
  try {
    return dispatch(inv);
  } finally {
    leave();
  }
}

/**
 * Into the mount namespace and working folder of the launcher (pid), as a process of its own
 * would have been; returns the way back.
 */
function enterLike(pid: number, cwdFd: number): () => void {
  const n = native();
  const c = n.constants;
  const ns = (p: number | 'self') => fs.readlinkSync(`/proc/${p}/ns/mnt`);
  const home = n.openat(c.AT_FDCWD, '.', c.O_PATH | c.O_DIRECTORY | c.O_CLOEXEC, 0);
  let homeNs: number | undefined;
  try {
    if (ns(pid) !== ns('self')) {
      homeNs = n.openat(c.AT_FDCWD, '/proc/self/ns/mnt', c.O_RDONLY | c.O_CLOEXEC, 0);
      n.enterMountNamespace(`/proc/${pid}/ns/mnt`);
    }
    process.chdir(`/proc/self/fd/${cwdFd}`);
  } catch (e) {
    back(homeNs, home);
    throw e;
  }
  return () => back(homeNs, home);
}

function back(homeNs: number | undefined, home: number): void {
  if (homeNs !== undefined) {
    native().enterMountNamespace(homeNs);
    fs.closeSync(homeNs);
  }
  process.chdir(`/proc/self/fd/${home}`);
  fs.closeSync(home);
}
