/**
 * UTC calendar months, `YYYY-MM`: the period credit budgets are counted in
 * (docs/api.md#spend).
 */

/** The UTC month of the instant `ms`. */
export const utcMonth = (ms: number): string => new Date(ms).toISOString().slice(0, 7);

/** When `month` ends: midnight UTC on the first day of the next month, as an ISO-8601 string. */
export function monthEndsAt(month: string): string {
  const [year = 1970, number = 1] = month.split("-").map(Number);
  return new Date(Date.UTC(year, number, 1)).toISOString();
}
