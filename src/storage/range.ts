/**
 * What a `Range` header asks of a stored object of `size` bytes (RFC 9110
 * §14.1.1, §14.2), decided before R2 sees it. R2 does the arithmetic (offset,
 * clamping, suffixes) once given a single range; what it does not do the same
 * way everywhere is refusal: local R2 quietly serves the whole object for a
 * range past the end where production R2 throws. So satisfiability is checked
 * here against the stored size, and only one well-formed range is handed on.
 * Several ranges get the whole representation (the RFC allows it); an invalid
 * header is ignored (the RFC requires it).
 */
export type RangeDecision = { kind: "whole" } | { kind: "unsatisfiable" } | { kind: "single"; header: string };

const WHOLE: RangeDecision = { kind: "whole" };
const BYTE_RANGE = /^(\d*)-(\d*)$/;

export function decideRange(header: string | null, size: number): RangeDecision {
  const set = header?.replace(/\s/g, "").match(/^bytes=(.+)$/i)?.[1];
  if (set === undefined) return WHOLE;
  const specs = set.split(",");
  let satisfiable = false;
  for (const spec of specs) {
    const [, first = "", last = ""] = BYTE_RANGE.exec(spec) ?? [];
    if (first === "" && last === "") return WHOLE;
    if (first !== "" && last !== "" && Number(last) < Number(first)) return WHOLE;
    if (first === "" ? Number(last) > 0 && size > 0 : Number(first) < size) satisfiable = true;
  }
  if (!satisfiable) return { kind: "unsatisfiable" };
  return specs.length === 1 ? { kind: "single", header: `bytes=${set}` } : WHOLE;
}
