import { CsvParser, csvRow, encodeCsvHeader, encodeCsvRecord } from '../../src/sdk/formats';
import { decodeNdjsonLine, encodeNdjsonRow } from '../../src/sdk/formats';
import { segmentRegExp } from '../../plugins/file/paths';
import type { SyncRecord } from '../../src/sdk';

/** Hostile values: every row must come back exactly, Buffers as the same bytes. */
const hostile: SyncRecord[] = [
  { id: '1', s: 'plain', q: 'say "hi", then go', nl: 'line1\nline2\r\nline3\r', tab: 'a\tb', empty: '', nul: null, bin: Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x22, 0x2c]) },
  { id: '2', s: '\\N', q: '"', nl: '\n', tab: '\\x00', empty: ' ', nul: 'NULL', bin: Buffer.alloc(0) },
  { id: '18446744073709551615', s: 'emoji 🚀 中文 ü', q: '""', nl: ',', tab: '\\', empty: '\u0000', nul: null, bin: Buffer.from('c3', 'hex') },
];

function parseCsv(text: string | Buffer, delimiter = ',', chunk = 7): SyncRecord[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const parser = new CsvParser(delimiter);
  const recs = [];
  for (let i = 0; i < bytes.length; i += chunk) recs.push(...parser.push(bytes.subarray(i, i + chunk)));
  recs.push(...parser.end());
  const columns = recs[0].fields.map((f) => f.bytes.toString('utf8'));
  return recs.slice(1).map((r) => csvRow(r, columns));
}

describe('NDJSON codec', () => {
  test('hostile values round-trip exactly, bytes as {"$b64"}', () => {
    for (const row of hostile) {
      const line = encodeNdjsonRow(row);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(decodeNdjsonLine(line.slice(0, -1))).toEqual(row);
    }
    expect(encodeNdjsonRow({ b: Buffer.from([0, 255]) })).toBe('{"b":{"$b64":"AP8="}}\n');
  });

  test('lone surrogates survive (JSON escapes them)', () => {
    const row = { s: 'a\ud800b' };
    expect(decodeNdjsonLine(encodeNdjsonRow(row).trim())).toEqual(row);
  });

  test('blank lines are skipped, CRLF is fine, a non-object line is an error', () => {
    expect(decodeNdjsonLine('   ')).toBeUndefined();
    expect(decodeNdjsonLine('{"a":1}\r')).toEqual({ a: 1 });
    expect(() => decodeNdjsonLine('[1,2]')).toThrow(/one JSON object/);
    expect(() => decodeNdjsonLine('{"a":')).toThrow();
  });
});

describe('CSV codec', () => {
  const columns = Object.keys(hostile[0]);

  test.each([',', ';', '\t', '|'])('hostile values round-trip exactly with delimiter %j, in any chunking', (d) => {
    const text = encodeCsvHeader(columns, d) + hostile.map((r) => encodeCsvRecord(r, columns, d)).join('');
    for (const chunk of [1, 3, 7, 1000]) expect(parseCsv(text, d, chunk)).toEqual(hostile);
  });

  test('NULL, empty string and the text \\N are told apart', () => {
    expect(encodeCsvRecord({ a: null, b: '', c: '\\N', d: Buffer.from([1, 2]) }, ['a', 'b', 'c', 'd'], ',')).toBe('\\N,"","\\N",\\x0102\n');
    expect(parseCsv('a,b,c,d\n\\N,,"\\N",\\x0102\n')).toEqual([{ a: null, b: '', c: '\\N', d: Buffer.from([1, 2]) }]);
  });

  test('records end at exact byte offsets; CRLF, blank lines and a missing last newline are accepted', () => {
    const text = 'a,b\r\n"x\ny",ü\r\n\r\n1,2';
    const parser = new CsvParser(',', 100);
    const recs = [...parser.push(Buffer.from(text)), ...parser.end()];
    expect(recs.map((r) => r.fields.map((f) => f.bytes.toString()))).toEqual([['a', 'b'], ['x\ny', 'ü'], ['1', '2']]);
    expect(recs.map((r) => r.end)).toEqual([105, 115, 120]);
  });

  test('malformed input fails clearly', () => {
    expect(() => parseCsv('a\n"x"y\n')).toThrow(/after a closing quote/);
    expect(() => parseCsv('a\n"open\n')).toThrow(/not closed/);
    expect(() => parseCsv('a,b\n1\n')).toThrow(/1 fields, the header 2/);
  });

  test('invalid UTF-8 travels as bytes (hex), never as text', () => {
    const bad = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]);
    const line = encodeCsvRecord({ b: bad }, ['b'], ',');
    expect(line).toBe(`\\x${bad.toString('hex')}\n`);
    expect(parseCsv(`b\n${line}`)).toEqual([{ b: bad }]);
  });
});

describe('glob segments', () => {
  test.each([
    ['*.csv', 'a.csv', true], ['*.csv', '.a.csv', false], ['.*', '.a', true], ['part-?.ndjson', 'part-1.ndjson', true],
    ['*.{csv,ndjson}', 'x.ndjson', true], ['*.{csv,ndjson}', 'x.json', false], ['[ab]*.gz', 'b1.gz', true], ['[!ab]*', 'a1', false], ['a+b(1).csv', 'a+b(1).csv', true],
  ])('%s matches %s: %s', (glob, name, ok) => {
    expect(segmentRegExp(glob).test(name)).toBe(ok);
  });
});
