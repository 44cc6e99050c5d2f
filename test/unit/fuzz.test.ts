/**
 * Property tests for every parser (fast-check): never an uncaught exception — either a value
 * that re-serialises to itself, or the project's own error with a message.
 * OCIHOOKS_FUZZ_RUNS sets the number of cases per parser: 10,000 in `npm test`, 300 in
 * `npm run test:unit` (kept to seconds), 100,000 in `npm run fuzz`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseDeviceRequest, parseMountRequest } from '../../src/mount/args';
import { parseJson, parseWith } from '../../src/core/json';
import { ociConfigSchema, ociStateSchema } from '../../src/core/oci';
import { decodeHookDocument } from '../../src/hooksd/schema';
import { CdiSpecError, validateCdiSpec } from '../../src/cdi/spec';
import { parseSpecText } from '../../src/cdi/registry';
import { parseLdCache } from '../../src/linux/ldconfig/cache';
import { mountInfoHasMountPoint, parseMountInfo, parseMountInfoLine } from '../../src/linux/mount/mountinfo';
import { ActionError, UsageError } from '../../src/core/errors';

const RUNS = Number(process.env.OCIHOOKS_FUZZ_RUNS ?? 10_000);
const opts = { numRuns: RUNS };

function ownErrorOr<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof ActionError || e instanceof CdiSpecError)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
    return undefined;
  }
}

const pathChars = fc.constantFrom('/', 'a', 'b', '.', '..', ',', '=', ':', ' ', 'é', '<FI_PROVIDER_PATH>', '\\', '\n');
const pathish = fc.array(pathChars, { maxLength: 12 }).map((a) => a.join(''));
const mountKey = fc.constantFrom(
  'type',
  'src',
  'source',
  'dst',
  'destination',
  'target',
  'readonly',
  'bind-propagation',
  '',
);
const mountArg = fc.oneof(
  fc.string(),
  fc
    .array(fc.tuple(mountKey, fc.option(fc.oneof(pathish, fc.constant('bind')))))
    .map((kv) => kv.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(',')),
);

describe('fuzzed parsers', () => {
  jest.setTimeout(600_000);
  // Most generated inputs are rejected with an error; under jest every Error's stack is mapped
  // through source maps, which costs far more than the parsing. The messages are what is checked.
  const limit = Error.stackTraceLimit;
  beforeAll(() => (Error.stackTraceLimit = 0));
  afterAll(() => (Error.stackTraceLimit = limit));

  test('--mount', () => {
    fc.assert(
      fc.property(mountArg, (arg) => {
        const m = ownErrorOr(() => parseMountRequest(arg));
        if (m)
          expect(
            parseMountRequest(`type=bind,src=${m.source},dst=${m.destination}${m.readonly ? ',readonly' : ''}`),
          ).toEqual(m);
      }),
      opts,
    );
  });

  test('--device', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(fc.oneof(pathish, fc.constantFrom('r', 'w', 'm', 'rw', 'rwm', 'rr')), { maxLength: 4 })
            .map((a) => a.join(':')),
        ),
        (arg) => {
          const d = ownErrorOr(() => parseDeviceRequest(arg));
          if (d) expect(parseDeviceRequest(`${d.source}:${d.destination}:${d.access}`)).toEqual(d);
        },
      ),
      opts,
    );
  });

  const stateLike = fc.record(
    {
      ociVersion: fc.oneof(fc.string(), fc.integer()),
      id: fc.oneof(fc.string(), fc.constant(null)),
      status: fc.string(),
      pid: fc.oneof(fc.integer(), fc.double(), fc.string()),
      bundle: fc.oneof(fc.string(), fc.boolean()),
      annotations: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );

  test('OCI state (JSON text)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          stateLike.map((s) => JSON.stringify(s)),
        ),
        (text) => {
          const v = ownErrorOr(() => parseWith(ociStateSchema, parseJson(text, 'state'), 'state'));
          if (v) expect(parseWith(ociStateSchema, JSON.parse(JSON.stringify(v)), 'state')).toEqual(v);
        },
      ),
      opts,
    );
  });

  const configLike = fc.record(
    {
      root: fc.oneof(fc.record({ path: fc.string(), readonly: fc.boolean() }), fc.jsonValue()),
      process: fc.oneof(fc.record({ env: fc.array(fc.string()), args: fc.array(fc.string()) }), fc.jsonValue()),
      mounts: fc.oneof(
        fc.array(fc.record({ destination: fc.string(), source: fc.string(), options: fc.array(fc.string()) })),
        fc.jsonValue(),
      ),
      linux: fc.oneof(
        fc.record({
          rootfsPropagation: fc.constantFrom('private', 'rslave', 'bogus'),
          cgroupsPath: fc.string(),
          resources: fc.record({
            devices: fc.array(
              fc.record({
                allow: fc.boolean(),
                type: fc.constantFrom('a', 'c', 'b', 'x'),
                major: fc.integer(),
                access: fc.string(),
              }),
            ),
          }),
        }),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [] },
  );

  test('config.json subset', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          configLike.map((c) => JSON.stringify(c)),
        ),
        (text) => {
          const v = ownErrorOr(() => parseWith(ociConfigSchema, parseJson(text, 'config'), 'config'));
          if (v) expect(parseWith(ociConfigSchema, JSON.parse(JSON.stringify(v)), 'config')).toEqual(v);
        },
      ),
      opts,
    );
  });

  test('hooks.d files', () => {
    const hookLike = fc.record(
      {
        version: fc.constantFrom('1.0.0', '0.1.0', '2', undefined),
        hook: fc.oneof(fc.record({ path: fc.string(), args: fc.array(fc.string()) }), fc.string(), fc.jsonValue()),
        when: fc.oneof(
          fc.record(
            {
              always: fc.boolean(),
              annotations: fc.dictionary(fc.string(), fc.string()),
              commands: fc.array(fc.string()),
            },
            { requiredKeys: [] },
          ),
          fc.jsonValue(),
        ),
        stages: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
        stage: fc.array(fc.string()),
        cmds: fc.array(fc.string()),
        annotations: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), hookLike), (doc) => {
        const r = decodeHookDocument(JSON.stringify(doc ?? null));
        // A decoded definition (0.1.0 ones are converted) re-reads as the same 1.0.0 hook.
        if ('error' in r) expect(r.error.length).toBeGreaterThan(0);
        else
          expect(decodeHookDocument(JSON.stringify({ ...r, version: '1.0.0' }))).toMatchObject({
            hook: r.hook,
            stages: r.stages,
          });
      }),
      opts,
    );
  });

  const edits = fc.record(
    {
      env: fc.array(fc.string()),
      deviceNodes: fc.array(
        fc.record(
          { path: fc.string(), hostPath: fc.string(), major: fc.integer(), permissions: fc.string() },
          { requiredKeys: ['path'] },
        ),
      ),
      mounts: fc.array(fc.record({ hostPath: fc.string(), containerPath: fc.string(), type: fc.string() })),
      hooks: fc.oneof(
        fc.array(fc.record({ hookName: fc.string(), path: fc.string() })),
        fc.dictionary(fc.string(), fc.array(fc.record({ path: fc.string() }))),
      ),
      additionalGids: fc.array(fc.integer()),
    },
    { requiredKeys: [] },
  );
  const cdiLike = fc.record(
    {
      cdiVersion: fc.constantFrom('0.3.0', '0.5.0', '0.6.0', '0.7.0', '1.1.0', '9'),
      kind: fc.oneof(fc.constantFrom('nvidia.com/gpu', 'a/b', 'x'), fc.string()),
      devices: fc.array(
        fc.record({ name: fc.oneof(fc.constantFrom('0', 'gpu0', 'all'), fc.string()), containerEdits: edits }),
      ),
      containerEdits: edits,
      annotations: fc.dictionary(fc.string(), fc.string()),
    },
    { requiredKeys: ['cdiVersion', 'kind', 'devices'] },
  );

  test('CDI specs (JSON documents)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), cdiLike), (doc) => {
        const spec = ownErrorOr(() => validateCdiSpec(JSON.parse(JSON.stringify(doc ?? null)), 'f.json'));
        if (spec)
          expect(
            validateCdiSpec(
              JSON.parse(
                JSON.stringify({
                  cdiVersion: spec.cdiVersion,
                  kind: spec.kind,
                  devices: spec.devices.map((d) => ({ name: d.name, containerEdits: d.edits })),
                  containerEdits: spec.edits,
                }),
              ),
              'f.json',
            ).devices.map((d) => d.name),
          ).toEqual(spec.devices.map((d) => d.name));
      }),
      opts,
    );
  });

  test('CDI specs (YAML text)', () => {
    const yaml = require('yaml') as typeof import('yaml');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          cdiLike.map((d) => yaml.stringify(d)),
        ),
        (text) => {
          ownErrorOr(() => validateCdiSpec(parseSpecText(text, 'f.yaml'), 'f.yaml'));
        },
      ),
      { numRuns: Math.max(50, Math.floor(RUNS / 4)) }, // YAML parsing is the slowest parser here
    );
  });

  test('ld.so.cache (random, truncated and mutated bytes)', () => {
    // A small real cache, written by the host ldconfig from a few libraries, to mutate and cut.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocihooks-fuzz-'));
    for (const lib of ['libz.so.1', 'libacl.so.1', 'libattr.so.1']) {
      const p = `/usr/lib/x86_64-linux-gnu/${lib}`;
      if (fs.existsSync(p)) fs.copyFileSync(fs.realpathSync(p), path.join(dir, lib));
    }
    const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => fs.existsSync(p)) as string;
    execFileSync(ldconfig, ['-X', '-c', 'compat', '-C', path.join(dir, 'cache'), '-f', '/dev/null', dir]);
    const real = fs.readFileSync(path.join(dir, 'cache'));
    expect(parseLdCache(real).entries.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)),
          fc.nat({ max: real.length }).map((n) => real.subarray(0, n)),
          fc.tuple(fc.nat({ max: real.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, b]) => {
            const copy = Buffer.from(real);
            copy[at] = b;
            return copy;
          }),
          fc
            .uint8Array({ maxLength: 64 })
            .map((a) => Buffer.concat([Buffer.from('glibc-ld.so.cache1.1'), Buffer.from(a)])),
          fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.concat([Buffer.from('ld.so-1.7.0\0'), Buffer.from(a)])),
        ),
        (bytes) => {
          const cache = ownErrorOr(() => parseLdCache(bytes));
          if (cache) for (const e of cache.entries) expect(typeof e.name).toBe('string');
        },
      ),
      opts,
    );
  });

  test('mountinfo lines (with octal escapes)', () => {
    const escape = (s: string) => s.replace(/[\\ \t\n]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`);
    const field = fc.string({ minLength: 1 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat(), field, field, field, field)
            .map(
              ([a, b, maj, min, root, mp, fstype, src]) =>
                `${a} ${b} ${maj}:${min} ${escape(root)} ${escape(mp)} rw,nosuid shared:1 - ${escape(fstype)} ${escape(src)} rw`,
            ),
        ),
        (line) => {
          const m = parseMountInfoLine(line);
          if (!m) return;
          const again = parseMountInfoLine(
            `${m.id} ${m.parentId} ${m.major}:${m.minor} ${escape(m.root)} ${escape(m.mountPoint)} ${m.options} ${[...m.optionalFields, '-'].join(' ')} ${escape(m.fsType)} ${escape(m.source)} ${m.superOptions}`,
          );
          expect(again).toEqual(m);
        },
      ),
      opts,
    );
  });

  test('the mount-point search agrees with the full mountinfo parser', () => {
    const escape = (s: string) => s.replace(/[\\ \t\n]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`);
    // Few distinct paths, so that the asked path is often a mount point, a root or a source.
    const pathArb = fc.constantFrom(
      '/',
      '/a',
      '/a b',
      '/a\\040b',
      '/r/rootfs',
      '/r/rootfs/x',
      '/tmp/new\nline',
      'tab\there',
    );
    const record = fc.tuple(
      fc.nat(99),
      fc.nat(99),
      pathArb,
      pathArb,
      fc.array(fc.constantFrom('shared:1', 'master:2'), { maxLength: 2 }),
      pathArb,
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), pathArb, (records, asked) => {
        const text =
          records
            .map(
              ([id, parent, root, mp, optional, src]) =>
                `${id} ${parent} 0:${id} ${escape(root)} ${escape(mp)} rw ${[...optional, '-'].join(' ')} ext4 ${escape(src)} rw`,
            )
            .join('\n') + '\n';
        expect(mountInfoHasMountPoint(text, asked)).toBe(parseMountInfo(text).some((m) => m.mountPoint === asked));
      }),
      opts,
    );
  });
});
