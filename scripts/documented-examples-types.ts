/**
 * The shape of `test/support/documented-examples.ts`, which `npm run
 * sync-models` writes from the AI/ML API's per-model documentation pages:
 * every example request those pages publish, as data, for the corpus test
 * (test/workers/documented-examples.test.ts) and docs/compatibility.md.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface DocumentedExample {
  /** The page, relative to `docs/api-references/video-models/` of the source. */
  page: string;
  /** `python 1`, `javascript 2`: the code block's language and place among the page's blocks of that language. */
  block: string;
  model: string;
  /** The path the example posts to. */
  createPath: string;
  /** The path it polls with `?generation_id=`, or null when its script does not poll. */
  pollPath: string | null;
  /** The key of the create answer the example reads the task id from. */
  idKey: "id" | "generation_id";
  /**
   * The body the example sends, as data. Prose (a string with spaces in a
   * free-text field) is replaced by the project's own text of the same
   * length, and media URLs by the project's own URLs of the same kind (see
   * `replaced`); every other value (ids, numbers, numeric strings, allowed
   * values) is as documented.
   */
  body: Record<string, JsonValue>;
  /** Dotted paths of the values replaced. */
  replaced: string[];
  /** Top-level keys of the answers the page shows: the create answer and the finished poll answer. */
  answers: { create: string[]; poll: string[] };
  /**
   * Null when the relay takes the body unchanged. Otherwise the relay refuses
   * it on purpose, naming `field` (docs/compatibility.md lists each case).
   */
  refused: { field: string; rule: string; why: string } | null;
}

/** A script that only polls (a page about fetching a generation). */
export interface DocumentedPoll {
  page: string;
  block: string;
  pollPath: string;
}

export interface UnreadableExample {
  page: string;
  block: string;
  reason: string;
}

export interface DocumentedExamples {
  source: { repository: string; commit: string | null };
  examples: DocumentedExample[];
  polls: DocumentedPoll[];
  /** Code blocks that hold a request but cannot be read (they do not parse as their language). */
  unreadable: UnreadableExample[];
  /** Every model id the documentation names (schema files, the pages' model lists, examples), sorted. */
  namedIds: string[];
}
