/**
 * The advice a source gives when the connection's user or role can write: on the connection test (what it
 * can write anywhere) and on each run (what it can write among what the import reads). Imports only read,
 * and every source runs them under its own read-only controls, but a user that can only SELECT is what
 * keeps a mistake, or a leaked connection, from changing the source. Never a reason to fail.
 */

/** How many written-to objects a warning names before it says "…". */
const NAMED = 5;

const list = (names: string[]): string =>
  names.slice(0, NAMED).join(', ') + (names.length > NAMED ? `, … (${names.length} in all)` : '');

/** For the connection test: `who` can write to `what` (tables, databases, "every table"). */
export const canWriteWarning = (kind: string, who: string, what: string[]): string[] =>
  what.length === 0
    ? []
    : [
        `${kind}: the connection's user ${who} can write (INSERT, UPDATE or DELETE) to ${list(what)}; ` +
          'imports only read, so a user with SELECT only is safer',
      ];

/** For a run: `who` can write to `what`, which this import reads (`reads` says how, for a custom query). */
export const writesWhatItReadsWarning = (
  kind: string,
  who: string,
  what: string[],
  reads = 'which this import reads',
): string[] =>
  what.length === 0
    ? []
    : [
        `${kind}: the source user ${who} can also write (INSERT, UPDATE or DELETE) to ${list(what)}, ` +
          `${reads}; a user with SELECT only is safer`,
      ];
