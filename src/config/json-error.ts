/** Where a JSON text stops being valid, and why, in words that never quote the text itself. */
export interface JsonSyntaxError {
  /** 1-based line of the offending character. */
  line: number;
  /** 1-based column of the offending character. */
  column: number;
  /** What was wrong, e.g. `unexpected character (text values need double quotes)`. */
  reason: string;
}

class Stop {
  constructor(readonly offset: number, readonly reason: string) {}
}

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const simpleEscapes = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Find the first syntax error of a JSON text (RFC 8259, as `JSON.parse` reads it). Node 20's own
 * message gives no position for an unexpected token and quotes the text around it instead, which
 * prints secrets (an unquoted password) into logs; this gives the line and column only.
 * @returns undefined when the text is valid JSON
 * @example jsonSyntaxError('{"a": x}') // { line: 1, column: 7, reason: 'unexpected character (text values need double quotes)' }
 */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const string = (): void => {
    const start = i++;
    for (;;) {
      if (i >= text.length) throw new Stop(start, 'unterminated string (it starts here)');
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e !== undefined && simpleEscapes.has(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else throw new Stop(i, 'invalid escape sequence in a string');
      } else if (c.charCodeAt(0) < 0x20) {
        throw new Stop(i, 'control character (a line break or tab) inside a string');
      } else {
        i++;
      }
    }
  };
  const value = (): void => {
    ws();
    if (i >= text.length) throw new Stop(i, 'unexpected end of file');
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') throw new Stop(i, i >= text.length ? 'unexpected end of file' : 'expected a property name in double quotes');
          string();
          ws();
          if (text[i] !== ':') throw new Stop(i, "expected ':' after a property name");
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else throw new Stop(i, i >= text.length ? 'unexpected end of file' : `expected ',' or '${close}'`);
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) {
      numberPattern.lastIndex = i;
      if (!numberPattern.test(text)) throw new Stop(i, 'invalid number');
      i = numberPattern.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    throw new Stop(i, 'unexpected character (text values need double quotes)');
  };
  try {
    value();
    ws();
    if (i < text.length) throw new Stop(i, 'unexpected text after the end of the JSON value');
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const before = text.slice(0, err.offset);
    const line = before.split('\n').length;
    return { line, column: err.offset - before.lastIndexOf('\n'), reason: err.reason };
  }
}
