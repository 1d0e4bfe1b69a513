/**
 * The Postgres custom-query guard reads SQL with Postgres's own parser: what Postgres sees as one SELECT
 * passes, whatever hides behind escapes and dollar quotes is seen; anything else is refused with a
 * message saying why. Also the dialect-neutral shape check that import specs run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assertPostgresSelect, loadPostgresParser } from '../../connectors/postgres/postgresSqlGuard';
import { checkQueryShape } from '../../domain/sqlGuard';

beforeAll(async () => {
  await loadPostgresParser();
});

describe('assertPostgresSelect', () => {
  it('sees statements after an E-string escape and after dollar quotes whose tag has digits', () => {
    expect(() => assertPostgresSelect("SELECT E'\\'' AS a; COMMIT; DELETE FROM t")).toThrow(
      'single statement (found 3)',
    );
    expect(() => assertPostgresSelect("SELECT E'\\';' AS a; DELETE FROM t")).toThrow('single statement (found 2)');
    expect(() => assertPostgresSelect('SELECT $a1$ x $a1$ AS a; COMMIT; DELETE FROM t')).toThrow(
      'single statement (found 3)',
    );
    expect(() => assertPostgresSelect("SELECT $a1$;$a$ $a1$ AS a; COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'")).toThrow(
      'single statement',
    );
  });

  it('refuses what is not a plain SELECT, naming it', () => {
    expect(() => assertPostgresSelect('DELETE FROM t')).toThrow(
      'must be a SELECT (or WITH … SELECT); this is a DELETE statement',
    );
    expect(() => assertPostgresSelect("COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'")).toThrow('this is a COPY statement');
    expect(() => assertPostgresSelect('COMMIT')).toThrow('must be a SELECT');
    expect(() => assertPostgresSelect('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d')).toThrow(
      'must only read: it contains DELETE',
    );
    expect(() => assertPostgresSelect('WITH u AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM u')).toThrow(
      'it contains UPDATE',
    );
    expect(() => assertPostgresSelect('WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i')).toThrow(
      'it contains INSERT',
    );
    expect(() =>
      assertPostgresSelect(
        'SELECT * FROM (WITH m AS (MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE RETURNING t.id) SELECT * FROM m) x',
      ),
    ).toThrow('it contains MERGE');
    expect(() => assertPostgresSelect('SELECT * INTO copy_of_t FROM t')).toThrow('SELECT … INTO creates a table');
    expect(() => assertPostgresSelect('SELECT * FROM t FOR UPDATE')).toThrow('FOR UPDATE/SHARE locks rows');
    expect(() => assertPostgresSelect('SELECT * FROM (SELECT * FROM t FOR SHARE) s')).toThrow('locks rows');
    expect(() => assertPostgresSelect('SELECT 1; SELECT 2')).toThrow('single statement (found 2)');
    expect(() => assertPostgresSelect("SELECT 'oops")).toThrow(/not valid SQL: unterminated quoted string/);
    expect(() => assertPostgresSelect('SELECT (')).toThrow(
      /not valid SQL: syntax error at end of input \(at character 9\)/,
    );
    expect(() => assertPostgresSelect('SELECT 1 FROM WHERE')).toThrow(
      'syntax error at or near "WHERE" (at character 15)',
    );
    expect(() => assertPostgresSelect('-- nothing')).toThrow('custom query is empty');
  });

  it('accepts columns named like keywords and strings with escapes (which the lexical check refused)', () => {
    for (const q of [
      'SELECT comment, "set", copy, "do", lock, call FROM t',
      'SELECT t.comment AS comment, t.set AS set FROM t WHERE t.do IS NOT NULL',
      "SELECT E'it\\'s' AS s, E'a\\'b\\'c' AS t",
      'SELECT $a1$ delete; drop $a1$ AS s',
      'WITH a AS (SELECT 1 AS x) SELECT * FROM a',
      'VALUES (1, 2)',
      'SELECT 1 UNION ALL SELECT 2',
      "SELECT id FROM t WHERE note = 'delete; drop'",
    ]) {
      expect(assertPostgresSelect(q)).toBe(q);
    }
  });

  it('returns the statement alone: no trailing semicolon, nor comments after it', () => {
    expect(assertPostgresSelect('SELECT * FROM t;')).toBe('SELECT * FROM t');
    expect(assertPostgresSelect('SELECT * FROM t; -- done\n')).toBe('SELECT * FROM t');
    expect(assertPostgresSelect('SELECT id -- the key\nFROM t')).toBe('SELECT id -- the key\nFROM t');
  });
});

describe('checkQueryShape (import specs, any dialect)', () => {
  it('refuses only what is wrong in every dialect', () => {
    expect(() => checkQueryShape('DELETE FROM people; SELECT 1')).toThrow('single statement');
    expect(() => checkQueryShape('DELETE FROM people RETURNING *')).toThrow('must be a SELECT');
    expect(() => checkQueryShape('SELECT 1; SELECT 2')).toThrow('single statement');
  });

  it('leaves to the connector what depends on the dialect, and no longer refuses keyword-like column names', () => {
    for (const q of [
      'SELECT comment, "set", copy, "do", lock, call FROM t',
      "SELECT E'it\\'s' AS s",
      "SELECT E'\\'' AS a; COMMIT; DELETE FROM t",
      'SELECT $a1$x$a1$',
      'SELECT 1 # comment in MySQL ; DELETE',
      'WITH a AS (SELECT 1) SELECT * FROM a;',
      '(SELECT 1) UNION (SELECT 2)',
    ]) {
      expect(() => checkQueryShape(q)).not.toThrow();
    }
  });
});
