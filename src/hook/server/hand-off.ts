/**
 * A program started apart (native/freestanding/apart.c: the runtime wrapper by its front-end for
 * create and run, a precreate filter by the hook launcher): OCIHOOKS_RUNTIME_RELAY=<fd>:<pid>:<pidfd>
 * says where its answer goes and which process it serves for, and gives a pidfd of that process. The starter waits for the answer: the
 * wrapper sends the runtime's command line (the front-end then becomes the runtime, keeping the
 * pid, fds and signals the engine gave it), anything else its exit code (the dispatcher sends it
 * when the program returns) — after which the program may stay to serve hooks (hook-server.ts).
 */
import fs = require('node:fs');
import { UsageError } from '../../core/errors';
import type { Env } from '../../core/env';
import { writeFdFully } from '../../linux/files';

export const HAND_OFF_ENV = 'OCIHOOKS_RUNTIME_RELAY';
/**
 * Beside HAND_OFF_ENV, from the front-end's early create (native/front-end/early-create.c) or the
 * hook launcher's relay filter (native/hook-launcher/precreate-relay.c): <fd>:<hooks>:<socket>, the
 * hook server's listening socket it made, how many hooks of the config will ask it (slots, relayed
 * hooks) and the socket's path. The runtime runs already, or podman has its config: nobody waits
 * for an answer.
 */
export const EARLY_ENV = 'OCIHOOKS_RUNTIME_EARLY';

/** The encoding's first word: native/relay.c, native/front-end/handoff.c, native/hook-launcher/relay.c. */
export const RELAY_MAGIC = 0x3152434f;

export interface HandOff {
  /** Where the answer goes. */
  fd: number;
  /**
   * The process served for, whose end ends the serving: the front-end (the runtime, once it has
   * the command line), or the engine that started the precreate filter.
   */
  watched: number;
  /**
   * A pidfd of `watched` its starter opened while that process was sure to live, held since this
   * process began (absent from a starter on a kernel without pidfds: the server opens one then).
   */
  watchedFd?: number;
  /** Whether the front-end has had its answer (the fd is closed then). */
  answered?: boolean;
  /** An early create's server (EARLY_ENV): the runtime was started without waiting for an answer. */
  early?: { listenFd: number; slots: number; socket: string };
  /** The GPU precreate filter's key from the hook launcher (PRECREATE_KEY_ENV, src/gpu/kept-edits.ts). */
  precreateKey?: string;
}

/** Beside HAND_OFF_ENV from the hook launcher's `ocihook-gpu precreate` (native/hook-launcher/kept-precreate.c). */
export const PRECREATE_KEY_ENV = 'OCIHOOKS_PRECREATE_KEY';

/** The hand-off this program was started for, if any. */
export function handOffOf(env: Env): HandOff | undefined {
  const value = env[HAND_OFF_ENV];
  if (value === undefined) return undefined;
  const m = /^(\d+):(\d+)(?::(\d+))?$/.exec(value);
  if (!m)
    throw new UsageError(
      `${HAND_OFF_ENV}=${value}: expected <fd>:<pid>[:<pidfd>] (set by the ocihooks-runtime front-end or the hook launcher)`,
    );
  const h: HandOff = { fd: Number(m[1]), watched: Number(m[2]) };
  if (m[3] !== undefined) h.watchedFd = Number(m[3]);
  const key = env[PRECREATE_KEY_ENV];
  if (key !== undefined) h.precreateKey = key;
  const early = env[EARLY_ENV];
  if (early === undefined) return h;
  const e = /^(\d+):(\d+):(\/.+)$/.exec(early);
  if (!e)
    throw new UsageError(
      `${EARLY_ENV}=${early}: expected <fd>:<hooks>:<socket> (set by the ocihooks-runtime front-end or the hook launcher)`,
    );
  // Nobody reads an answer: its starter closed its end (the front-end became the runtime).
  fs.closeSync(h.fd);
  return { ...h, answered: true, early: { listenFd: Number(e[1]), slots: Number(e[2]), socket: e[3] as string } };
}

/**
 * A command line as the front-end and the hook server read it: four 32-bit words (magic, argc,
 * envc, the strings' bytes), then path, argv and env, each NUL-terminated.
 */
export function encodeCommandLine(path: string, argv: readonly string[], env: readonly string[]): Buffer {
  const strings = Buffer.from([path, ...argv, ...env].map((s) => `${s}\0`).join(''));
  const head = Buffer.alloc(16);
  head.writeUInt32LE(RELAY_MAGIC, 0);
  head.writeUInt32LE(argv.length, 4);
  head.writeUInt32LE(env.length, 8);
  head.writeUInt32LE(strings.length, 12);
  return Buffer.concat([head, strings]);
}

/** Sends the runtime's command line to the front-end, which becomes the runtime. */
export function handOff(h: HandOff, path: string, argv: readonly string[], env: readonly string[]): void {
  answer(h, encodeCommandLine(path, argv, env));
}

/**
 * Tells the front-end to end with `code` (the wrapper did not hand the call over: an answer to
 * --ocihooks-help, or a failure it has said on stderr): a command line of no arguments, the code
 * in envc. Nothing when it has had its answer.
 */
export function handOffExit(h: HandOff, code: number): void {
  if (h.answered) return;
  const head = Buffer.alloc(16);
  head.writeUInt32LE(RELAY_MAGIC, 0);
  head.writeUInt32LE(code & 0xff, 8);
  try {
    answer(h, head);
  } catch {
    // the front-end is gone: nobody waits for the code
  }
}

function answer(h: HandOff, bytes: Buffer): void {
  h.answered = true;
  try {
    writeFdFully(h.fd, bytes);
  } finally {
    fs.closeSync(h.fd);
  }
}
