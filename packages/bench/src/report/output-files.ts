import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import {dirname, join, parse, resolve, sep} from 'node:path';

/**
 * A report folder or file that cannot be written or read: the message names the path, what went
 * wrong and what to do instead. The CLI prints it without a stack trace (exit status 2).
 */
export class ReportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportFileError';
  }
}

function errorCode(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (e instanceof Error ? e.message : String(err));
}

/**
 * Makes sure `dir` is a folder this process can write reports into, creating missing folders one
 * level at a time, and proves it by writing and deleting a probe file. Call it before any work
 * whose results would go there.
 *
 * Folders are created level by level rather than with `mkdirSync(..., {recursive: true})`, which
 * in Node.js 20 loops forever on paths it can never create (`/proc/x`).
 * @returns the absolute path of the folder.
 * @throws ReportFileError when a part of the path is a file (`report.json/sub`), a folder cannot
 *   be created (`/proc/x`: ENOENT, EACCES, EROFS) or the folder is not writable; the message names
 *   the path and the reason.
 * @example prepareOutputDir('tfjs-amp-report') // '/home/me/tfjs-amp-report', created if missing
 */
export function prepareOutputDir(dir: string): string {
  const absolute = resolve(dir);
  const {root} = parse(absolute);
  const parts = absolute.slice(root.length).split(sep).filter(Boolean);
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    let isDirectory: boolean | null;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') {
        throw new ReportFileError(
          `--out '${dir}': cannot inspect '${current}' (${errorCode(err)}). Choose a folder you can write to.`,
        );
      }
      isDirectory = null;
    }
    if (isDirectory === false) {
      throw new ReportFileError(
        `--out '${dir}': '${current}' is a file, not a folder, so no report can be written ` +
          `under it. Choose a folder path (for example '${join(dirname(current), 'tfjs-amp-report')}').`,
      );
    }
    if (isDirectory === null) {
      try {
        mkdirSync(current);
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') {
          throw new ReportFileError(
            `--out '${dir}': cannot create the folder '${current}' (${errorCode(err)}). ` +
              'Choose a folder you can write to.',
          );
        }
      }
    }
  }
  const probe = join(absolute, `.tfjs-amp-bench-probe-${process.pid}`);
  try {
    writeFileAtomic(probe, '');
    unlinkSync(probe);
  } catch (err) {
    throw new ReportFileError(
      `--out '${dir}': the folder '${absolute}' is not writable (${errorCode(err)}). ` +
        'Choose a folder you can write to.',
    );
  }
  return absolute;
}

let counter = 0;

/**
 * Writes `text` to `path` atomically: into a temporary file beside it, flushed, then renamed over
 * `path`. Readers see the old file or the whole new one, never a truncated one, and a failed
 * write leaves no temporary file behind.
 * @throws the file system's error when the folder is missing or not writable.
 * @example writeFileAtomic('out/report.json', json)
 */
export function writeFileAtomic(path: string, text: string): void {
  const temp = `${path}.${process.pid}.${counter++}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(temp, 'w');
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, path);
  } catch (err) {
    if (fd != null) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    throw err;
  }
}
