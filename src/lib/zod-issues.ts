/**
 * zod issues as the project's error details, `{field, rule, message}`, one
 * per offending field: the one mapping for every validation (the routes'
 * schemas and the catalogue's per-model check alike). Runtime-neutral: it
 * imports zod's types only, so Node-side tools (the fake upstream, the
 * benches) run it too.
 *
 * - a custom issue whose `params.detail` is a detail already is reported as it is;
 * - an unknown key is `unknown_field`, one detail per key;
 * - a field that is absent is `required`, whatever zod calls it (a missing
 *   enum field is an `invalid_value` to zod, a missing union an `invalid_union`);
 * - a custom issue's `params.rule` names its rule; otherwise zod's code does.
 */
import type { z } from "zod";
import type { ErrorDetail } from "./errors.ts";

export function describeIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): ErrorDetail[] {
  return issues.flatMap((issue): ErrorDetail[] => {
    const own: unknown = issue.code === "custom" ? issue.params?.["detail"] : undefined;
    if (isErrorDetail(own)) return [own];
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const field = [...path, key].join(".");
        return { field, rule: "unknown_field", message: `${field} is not a known field` };
      });
    }
    const field = path.length > 0 ? path.join(".") : "(body)";
    if (path.length > 0 && valueAt(raw, issue.path) === undefined) {
      return [{ field, rule: "required", message: `${field} is required` }];
    }
    const custom: unknown = issue.code === "custom" ? issue.params?.["rule"] : undefined;
    return [{ field, rule: typeof custom === "string" ? custom : issue.code, message: `${field} ${issue.message}` }];
  });
}

function isErrorDetail(value: unknown): value is ErrorDetail {
  if (typeof value !== "object" || value === null) return false;
  const { field, rule, message } = value as Record<string, unknown>;
  return typeof field === "string" && typeof rule === "string" && typeof message === "string";
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
