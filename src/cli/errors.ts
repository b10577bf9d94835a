/** The CLI's own failures and its exit codes (API errors arrive as the client's WanRelayError). */

export const EXIT_OK = 0;
/** The generation ended failed or canceled, or an API or network error. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A bad command line: exit 2 with the command's usage hint. */
export class UsageError extends Error {
  /** Whose --help the message points to (null: the general help). */
  readonly command: string | null;

  constructor(message: string, command: string | null = null) {
    super(message);
    this.command = command;
  }
}

/** A failure to report as it is, exit 1 (a generation that failed, a download that broke). */
export class CliError extends Error {}
