/** A chain run in one process: in order, the first failure ends it, and a runtime that stopped waiting starts no further hook. */
import { ABANDONED_EXIT, ChainedHook, runChain } from './chain';
import type { Invocation } from './invocation';
import { Timing } from '../timing';

const hooks: ChainedHook[] = ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig'].map((program) => ({
  program: program as ChainedHook['program'],
  args: [program],
}));

/** Runs the chain with hooks exiting `codes` and a runtime that stops waiting after `waitsFor` of them. */
function chainRun(codes: number[], waitsFor = Infinity) {
  const ran: string[] = [];
  let stderr = '';
  const inv: Invocation = {
    program: 'ocihook-mount',
    path: '/prefix/bin/ocihook-mount',
    argv: [],
    env: {},
    stdin: () => '{}',
    stdout: () => undefined,
    stderr: (t) => void (stderr += t),
    timing: new Timing(),
    dispatch: (sub) => {
      ran.push(sub.program);
      return codes[ran.length - 1] ?? 0;
    },
    abandoned: () => ran.length >= waitsFor,
  };
  return { code: runChain(inv, hooks), ran, stderr };
}

test.each([
  [
    'all run, in order',
    [0, 0, 0],
    Infinity,
    { code: 0, ran: ['ocihook-mount', 'ocihook-gpu', 'ocihook-ldconfig'], stderr: '' },
  ],
  [
    'the first failure ends it with its code',
    [0, 2, 0],
    Infinity,
    { code: 2, ran: ['ocihook-mount', 'ocihook-gpu'], stderr: '' },
  ],
  [
    'the runtime stopped waiting during the first: the others do not run',
    [0, 0, 0],
    1,
    {
      code: ABANDONED_EXIT,
      ran: ['ocihook-mount'],
      stderr:
        "ocihooks-chain: the runtime stopped waiting (the hook's timeout) after 1 of 3 hooks; the others did not run\n",
    },
  ],
  [
    'a runtime that stops waiting before the first changes nothing for it',
    [0, 0, 0],
    0,
    { code: ABANDONED_EXIT, ran: ['ocihook-mount'], stderr: expect.stringContaining('after 1 of 3') },
  ],
])('%s', (_name, codes, waitsFor, expected) => {
  expect(chainRun(codes, waitsFor)).toEqual(expected);
});
