import { integerRange, keyOf, lookupStatements, sameRow, SplitShape } from '../../plugins/mysql/upsert-split';

const shape = (over: Partial<SplitShape> = {}): SplitShape => ({
  table: '`d`.`t`', targets: ['`id`', '`v`'], columns: ['id', 'v'], keyIndexes: [0], integerKey: true, maxBytes: 1 << 20, ...over,
});

describe('mysql split upsert', () => {
  test('a dense integer key is looked up by one BETWEEN range, exact beyond 2^53', () => {
    expect(lookupStatements(shape(), [{ id: '3' }, { id: 1 }, { id: '2' }])).toEqual(['SELECT `id`,`v` FROM `d`.`t` WHERE `id` BETWEEN 1 AND 3']);
    expect(integerRange(['9007199254740993', '9007199254740992'])).toEqual({ min: 9007199254740992n, max: 9007199254740993n });
    expect(integerRange(['-5', '18446744073709551615'])).toEqual({ min: -5n, max: 18446744073709551615n });
  });

  test('a sparse, non-integer or composite key is looked up by IN lists cut to maxBytes', () => {
    // 1 and 1000 for 2 records: a range would fetch ~1000 rows the batch does not touch.
    // Numbers are quoted: compared with a text key column, a bare number would defeat its index.
    expect(lookupStatements(shape(), [{ id: 1 }, { id: 1000 }])).toEqual(["SELECT `id`,`v` FROM `d`.`t` WHERE `id` IN ('1','1000')"]);
    expect(lookupStatements(shape(), [{ id: '1.5' }, { id: 2 }])).toEqual(["SELECT `id`,`v` FROM `d`.`t` WHERE `id` IN ('1.5','2')"]);
    expect(lookupStatements(shape({ integerKey: false }), [{ id: "o'k" }, { id: Buffer.from([0, 255]) }])).toEqual(["SELECT `id`,`v` FROM `d`.`t` WHERE `id` IN ('o\\'k',X'00ff')"]);
    expect(lookupStatements(shape({ keyIndexes: [0, 1], integerKey: false }), [{ id: 1, v: 'a' }, { id: 2, v: 'b' }])).toEqual(["SELECT `id`,`v` FROM `d`.`t` WHERE (`id`,`v`) IN (('1','a'),('2','b'))"]);
    const cut = lookupStatements(shape({ integerKey: false, maxBytes: 60 }), [{ id: 'aaaaaaaa' }, { id: 'bbbbbbbb' }, { id: 'cccccccc' }]);
    expect(cut.length).toBeGreaterThan(1);
    expect(cut.join(' ')).toContain("'cccccccc'");
  });

  test('keys match across text and number, never across text and binary of the same text', () => {
    expect(keyOf(['5'])).toBe(keyOf([5]));
    expect(keyOf(['ab'])).not.toBe(keyOf([Buffer.from('ab')]));
    expect(keyOf(['a', 'bc'])).not.toBe(keyOf(['ab', 'c']));
    expect(keyOf([null])).toBeUndefined();
    expect(keyOf([{ x: 1 }])).toBeUndefined();
  });

  test('a row is unchanged only when every value is identical in type and content', () => {
    const columns = ['id', 'v', 'b'];
    expect(sameRow({ id: '1', v: 'x', b: Buffer.from([1]) }, ['1', 'x', Buffer.from([1])], columns)).toBe(true);
    expect(sameRow({ id: '1', v: undefined, b: null }, ['1', null, null], columns)).toBe(true);
    expect(sameRow({ id: '1', v: 'x', b: Buffer.from([1]) }, ['1', 'x', Buffer.from([2])], columns)).toBe(false);
    // The target returning 1 where the source gave '1' is a difference of representation: written again.
    expect(sameRow({ id: '1', v: '1', b: null }, ['1', 1, null], columns)).toBe(false);
    expect(sameRow({ id: '1', v: 'x', b: null }, ['1', 'X', null], columns)).toBe(false);
  });
});
