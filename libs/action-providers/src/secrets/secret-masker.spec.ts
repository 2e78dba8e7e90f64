import { SecretMasker } from './secret-masker';
import { secretReferences, substituteSecrets } from './secret-references';

describe('SecretMasker', () => {
  const masker = new SecretMasker(['hunter2', 's3cr3t-token', '']);

  it('masks every occurrence of every value, and nothing else', () => {
    expect(masker.mask('login hunter2 then hunter2 with s3cr3t-token.')).toBe('login *** then *** with ***.');
    expect(masker.mask('nothing here, not even hunter')).toBe('nothing here, not even hunter');
  });

  it('masks a value containing another one whole (longest first)', () => {
    expect(new SecretMasker(['abc', 'xabcx']).mask('1 xabcx 2 abc')).toBe('1 *** 2 ***');
  });

  it('masks the values of a record', () => {
    expect(masker.maskRecord({ Token: 'hunter2', Tag: 'v1' })).toEqual({ Token: '***', Tag: 'v1' });
  });

  it('given a value split between streamed chunks, then the stream still writes it masked', () => {
    const written: string[] = [];
    const stream = masker.stream((text) => written.push(text));
    for (const chunk of ['echo hun', 'ter', '2 done\nand s3cr3t', '-tok', 'en', ' end\n', 'last hunt']) stream.append(chunk);
    stream.flush();

    expect(written.join('')).toBe('echo *** done\nand *** end\nlast hunt');
    expect(written.join('')).not.toMatch(/hunter2|s3cr3t-token/);
  });

  it('given a value split one character per chunk, then no chunk written holds it', () => {
    const written: string[] = [];
    const stream = masker.stream((text) => written.push(text));
    for (const char of 'a hunter2 b hunter2') stream.append(char);
    stream.flush();

    expect(written.join('')).toBe('a *** b ***');
  });

  it('writes text that cannot begin a value at once', () => {
    const written: string[] = [];
    masker.stream((text) => written.push(text)).append('plain line\n');

    expect(written).toEqual(['plain line\n']);
  });

  it('given no values, then it passes text through', () => {
    const written: string[] = [];
    new SecretMasker([]).stream((text) => written.push(text)).append('hunter2');

    expect(written).toEqual(['hunter2']);
  });
});

describe('secret references', () => {
  it('finds each #{secrets.name} once, in order of first use', () => {
    expect(secretReferences(['deploy #{secrets.token} #{secrets.db.password}', 'x=#{secrets.token} #{variables.env} #{Ns.secrets}'])).toEqual(['token', 'db.password']);
  });

  it('substitutes known names and leaves unknown ones literal', () => {
    expect(substituteSecrets('a=#{secrets.a} b=#{secrets.b} v=#{variables.v}', { a: 'A$&1' })).toBe('a=A$&1 b=#{secrets.b} v=#{variables.v}');
  });
});
