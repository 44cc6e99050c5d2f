/** Types of engines.cjs (see there). */
export declare const DOCKER: string;
export interface Engines {
  /** The docker client and the arguments that point it at this dockerd. */
  docker: [string, string[]];
  /** ctr and the arguments that point it at this containerd and its namespace. */
  ctr: [string, string[]];
  stop(): void;
}
export declare function startEngines(
  dir: string,
  o: {
    runtimeConfig: string;
    runtimes: Record<string, { path: string; runtimeArgs?: string[] }>;
    rootfs: string;
    image: string;
  },
): Engines;
