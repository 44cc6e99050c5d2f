/** CDI names: the cases of the reference's pkg/parser/parser_test.go, then edge cases its code decides. */
import { UsageError } from '../core/errors';
import { parseDevice, parseQualifiedName, qualifiedNameProblem } from './name';

describe('qualified names (TestQualifiedName)', () => {
  test.each([
    ['vendor.com/class=dev', 'vendor.com', 'class', 'dev'],
    ['a/b=c', 'a', 'b', 'c'],
    ['aa/b=cc', 'aa', 'b', 'cc'],
    ['a/bb=cc', 'a', 'bb', 'cc'],
    ['vendor.com/class=0', 'vendor.com', 'class', '0'],
    ['vendor1.com/class1=dev1', 'vendor1.com', 'class1', 'dev1'],
    ['vendor1.com/class.subclass=dev1', 'vendor1.com', 'class.subclass', 'dev1'],
    ['other-vendor1.com/class_1=dev_1', 'other-vendor1.com', 'class_1', 'dev_1'],
    ['yet_another-vendor2.com/c-lass_2=dev_1:2.3', 'yet_another-vendor2.com', 'c-lass_2', 'dev_1:2.3'],
    ['Vendor.COM/Class=DEV', 'Vendor.COM', 'Class', 'DEV'],
    ['vendor..com/cl--ass=d:e.v_1', 'vendor..com', 'cl--ass', 'd:e.v_1'],
  ])('%s is qualified', (device, vendor, cls, name) => {
    expect(qualifiedNameProblem(device)).toBeUndefined();
    expect(parseDevice(device)).toEqual({ vendor, class: cls, name });
    expect(parseQualifiedName(device)).toEqual({ kind: `${vendor}/${cls}`, device: name });
  });

  test.each([
    [
      '_invalid.com/class=dev',
      '_invalid.com',
      'class',
      'dev',
      'invalid device "_invalid.com/class=dev": invalid vendor. "_invalid.com", should start with letter',
    ],
    [
      'invalid2.com-/class=dev',
      'invalid2.com-',
      'class',
      'dev',
      'invalid device "invalid2.com-/class=dev": invalid vendor. "invalid2.com-", should end with a letter or digit',
    ],
    [
      'invalid3.com/_class=dev',
      'invalid3.com',
      '_class',
      'dev',
      'invalid device "invalid3.com/_class=dev": invalid class. "_class", should start with letter',
    ],
    [
      'invalid4.com/class_=dev',
      'invalid4.com',
      'class_',
      'dev',
      'invalid device "invalid4.com/class_=dev": invalid class. "class_", should end with a letter or digit',
    ],
    [
      'invalid5.com/class=-dev',
      'invalid5.com',
      'class',
      '-dev',
      'invalid device "invalid5.com/class=-dev": invalid class "-dev", should start with a letter or digit',
    ],
    [
      'invalid6.com/class=dev:',
      'invalid6.com',
      'class',
      'dev:',
      'invalid device "invalid6.com/class=dev:": invalid name "dev:", should end with a letter or digit',
    ],
    [
      '*.com/*dev=*gpu*',
      '*.com',
      '*dev',
      '*gpu*',
      'invalid device "*.com/*dev=*gpu*": invalid vendor. "*.com", should start with letter',
    ],
    ['a/b=c=d', 'a', 'b', 'c=d', 'invalid device "a/b=c=d": invalid character \'=\' in device name "c=d"'],
    ['a/b/c=d', 'a', 'b/c', 'd', 'invalid device "a/b/c=d": invalid class. invalid character \'/\' in name "b/c"'],
    [
      '1vendor.com/class=dev',
      '1vendor.com',
      'class',
      'dev',
      'invalid device "1vendor.com/class=dev": invalid vendor. "1vendor.com", should start with letter',
    ],
    [
      'vendor.com/1class=dev',
      'vendor.com',
      '1class',
      'dev',
      'invalid device "vendor.com/1class=dev": invalid class. "1class", should start with letter',
    ],
    [
      'vendor.com/class=de v',
      'vendor.com',
      'class',
      'de v',
      'invalid device "vendor.com/class=de v": invalid character \' \' in device name "de v"',
    ],
    ['v/c=_', 'v', 'c', '_', 'invalid device "v/c=_": invalid class "_", should start with a letter or digit'],
  ])('%s parses but is not qualified', (device, vendor, cls, name, problem) => {
    expect(parseDevice(device)).toEqual({ vendor, class: cls, name });
    expect(qualifiedNameProblem(device)).toBe(problem);
  });

  test.each(['', '/dev/null', 'vendor.com/class', 'vendor.com/class=', '=dev', 'vendor.com=dev', 'vendor.com/=dev'])(
    '%p is unqualified: missing vendor',
    (device) => {
      expect(parseDevice(device)).toEqual({ vendor: '', class: '', name: device });
      expect(qualifiedNameProblem(device)).toBe(`unqualified device ${JSON.stringify(device)}, missing vendor`);
      expect(() => parseQualifiedName(device)).toThrow(UsageError);
    },
  );
});
