/** Reading a user-named text file without letting its size or kind decide the cost. */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { ErrorCodes, FmeaflowError } from '../errors.ts';

/** Why a file could not be read: an errno code (ENOENT, EACCES, EISDIR, …) or NOT_A_FILE (a FIFO, socket or device). */
export type ReadFailure = string;

/**
 * The first `maxBytes` of a regular file as UTF-8: a huge file costs no more than the limit,
 * and a FIFO or device is refused instead of blocking or reading forever (checked before the
 * open, which would block on a FIFO). Throws CLI_BAD_ARGUMENT with `details.reason`.
 */
export function readBoundedText(file: string, maxBytes: number): string {
  const fail = (reason: ReadFailure): FmeaflowError => new FmeaflowError(
    ErrorCodes.BAD_CLI_ARGUMENT,
    reason === 'NOT_A_FILE' || reason === 'EISDIR' ? `'${file}' is not a regular file; pass a file` : `cannot read '${file}' (${reason}); pass a readable file`,
    { details: { file, reason } },
  );
  const errno = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? 'EIO';
  let fd: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw fail('EISDIR');
    if (!st.isFile()) throw fail('NOT_A_FILE');
    fd = openSync(file, 'r');
  } catch (err) {
    throw err instanceof FmeaflowError ? err : fail(errno(err));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw fail('NOT_A_FILE');
    const buf = Buffer.alloc(Math.min(st.size, maxBytes));
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n).toString('utf8');
  } catch (err) {
    throw err instanceof FmeaflowError ? err : fail(errno(err));
  } finally {
    closeSync(fd);
  }
}
