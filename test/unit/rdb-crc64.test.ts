import { crc64Jones } from '../../src/sdk';

describe('crc64Jones', () => {
  it('matches the check value of Redis crc64.c (CRC-64 Jones, reflected)', () => {
    expect(crc64Jones(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
  });
  it('continues from a seed as one pass over both parts', () => {
    const all = Buffer.from('hello, redis crc64 world');
    const first = crc64Jones(all.subarray(0, 7));
    expect(crc64Jones(all.subarray(7), first)).toBe(crc64Jones(all));
  });
  it('is not ECMA-182 (what the npm crc64 packages compute)', () => {
    expect(crc64Jones(Buffer.from('123456789'))).not.toBe(0x6c40df5f0b497347n);
  });
});
