/**
 * What planners and CDI edits may know about the host — plain types: hook/real-host.ts reads the
 * real host, unit tests give a table.
 */
import type { DeviceType } from './actions';

/**
 * A host path as stat sees it (symlinks followed), or why it cannot be used. A socket and a fifo
 * bind like a file (a daemon's socket, a pipe shared with the container).
 */
export type HostPath =
  | { kind: 'file' | 'directory' | 'socket' | 'fifo' }
  | { kind: 'device'; type: DeviceType; major: number; minor: number }
  | { kind: 'other' | 'missing'; detail: string };

/** A host device node as lstat sees it (symlinks not followed), or why it is not one. */
export type HostNode = { type: 'b' | 'c' | 'p'; major: number; minor: number; mode: number } | { error: string };

export interface HostNodes {
  lstatNode(path: string): HostNode;
}

export interface HostView extends HostNodes {
  describe(path: string): HostPath;
}
