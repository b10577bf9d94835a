/**
 * stdout carries data only (the API's JSON, or a table on a terminal) so it
 * pipes into jq; progress, notices and errors go to stderr.
 */
import type { Values } from "./command.ts";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** JSON when asked (`--json`) or when stdout is not a terminal (a pipe, a file); a table otherwise. */
export const wantsJson = (values: Values): boolean => values["json"] === true || process.stdout.isTTY !== true;

export const JSON_OPTION = { json: { type: "boolean" } } as const;
export const JSON_USAGE = "  --json                  print the API's JSON (the default when stdout is not a terminal)";

/** Rows under a header, columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** `2026-08-01T10:20:30.123Z` → `2026-08-01 10:20:30` (UTC, as the API gives it). */
export const shortTime = (iso: string | null): string =>
  iso === null ? "-" : iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");

/** A byte count for people: `31.5 MB`. */
export function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? ""}`;
}
