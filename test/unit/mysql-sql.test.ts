import { escape } from 'mysql2';
import { literal, quoteIdent, quoteString, tupleCompare } from '../../plugins/mysql/sql';

describe('mysql SQL building', () => {
  test('identifiers are quoted and checked', () => {
    expect(quoteIdent('qcc_change_history', 'table')).toBe('`qcc_change_history`');
    expect(quoteIdent('变更', 'table')).toBe('`变更`');
    for (const bad of ['a`b', '', 'x'.repeat(65), ' t', 'a\u0000b']) expect(() => quoteIdent(bad, 'table')).toThrow(/not a valid MySQL identifier/);
  });

  test('strings are escaped exactly like mysql2 does', () => {
    for (const s of ['plain', "it's", 'back\\slash', '\0\b\t\n\r\x1a"', '变更 🚀', '']) expect(quoteString(s)).toBe(escape(s));
  });

  test('literals keep every value exact', () => {
    expect(literal(null)).toBe('NULL');
    expect(literal('18446744073709551615')).toBe("'18446744073709551615'");
    expect(literal(Buffer.from([0, 255, 39]))).toBe("X'00ff27'");
    expect(literal(Buffer.alloc(0))).toBe("X''");
    expect(literal({ $hex: 'ab' })).toBe("X'ab'");
    expect(literal(0.1)).toBe('0.1');
    expect(literal(Number.NaN)).toBe('NULL');
  });

  test('tuple comparisons expand so indexes are used', () => {
    expect(tupleCompare(['`id`'], '>=', [5])).toBe('`id` >= 5');
    expect(tupleCompare(['`a`', '`b`'], '>', [1, 'x'])).toBe("((`a` > 1) OR (`a` = 1 AND `b` > 'x'))");
    expect(tupleCompare(['`a`', '`b`'], '>=', [1, 'x'])).toBe("((`a` > 1) OR (`a` = 1 AND `b` >= 'x'))");
    expect(tupleCompare(['`a`', '`b`'], '<', [1, 'x'])).toBe("((`a` < 1) OR (`a` = 1 AND `b` < 'x'))");
  });
});
