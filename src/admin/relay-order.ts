/**
 * Whether podman meets the relay filter after the installation's other precreate filters. podman
 * runs precreate hooks in the order of their files' names, each given the config the one before
 * wrote. The relay filter (hooks.md) starts one Node process for the hooks of ours it finds in that
 * config; a filter of ours that runs after it (the GPU filter) finds those hooks relayed already,
 * leaves them to that process and serves the hooks it adds from its own: two Node starts for a
 * container both match, where the installed order (the relay filter last) takes one.
 */
import path = require('node:path');
import type { HookFile } from '../hooksd/read';
import { HOOK_PROGRAMS, isRelayFilter } from '../hook/program/own-programs';
import type { Check } from '../core/check';

const NAME = 'precreate order';

function precreate(f: HookFile): f is HookFile & { def: NonNullable<HookFile['def']> } {
  return f.def?.stages?.includes('precreate') === true;
}

const ours = (f: { def: NonNullable<HookFile['def']> }) =>
  (HOOK_PROGRAMS as readonly string[]).includes(path.basename(f.def.hook.path));

/** podman's hooks, in its order: nothing to say without a relay filter. */
export function relayOrderCheck(hooks: readonly HookFile[]): Check | undefined {
  const stage = hooks.filter(precreate);
  const at = stage.findIndex((f) => isRelayFilter(f.def.hook));
  if (at < 0) return undefined;
  const relay = stage[at].name;
  const later = stage.slice(at + 1);
  const ourLater = later.filter(ours).map((f) => f.name);
  if (ourLater.length > 0)
    return {
      name: NAME,
      status: 'warn',
      detail: `${relay} sorts before ${ourLater.join(', ')}: podman runs precreate hooks in name order, so a container both match starts Node twice; name the relay filter after them (ocihooks install names it 99-ocihooks-relay.json)`,
    };
  const foreign = later.map((f) => f.name);
  return {
    name: NAME,
    status: 'ok',
    detail:
      foreign.length === 0
        ? `${relay} is the last precreate hook`
        : `${relay} runs before ${foreign.join(', ')}, not of ocihooks: hooks of ours they add to a config start Node of their own`,
  };
}
