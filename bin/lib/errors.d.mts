// Types for the tests that import the CLI's plain-JavaScript module (bin/lib/errors.mjs).
export declare const EXIT_OK: 0;
export declare const EXIT_FAILED: 1;
export declare const EXIT_USAGE: 2;
export declare const EXIT_INTERRUPTED: 130;
export declare class UsageError extends Error {
  constructor(message: string, command?: string | null);
  command: string | null;
}
export declare class CliError extends Error {}
