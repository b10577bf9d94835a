/** The CLI's two kinds of failure and its exit codes. */

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Thrown for bad command lines: exit 2 with the command's usage hint. */
export class UsageError extends Error {
  /** @param {string | null} command whose --help the message points to (null: the general help) */
  constructor(message, command = null) {
    super(message);
    this.command = command;
  }
}

/** Thrown for API, network and generation failures: exit 1 with the message. */
export class CliError extends Error {}
