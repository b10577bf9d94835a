/** zod's `core`, as `z.core` in the Worker's bundle: everything but the locales other than English (see zod-without-locales.ts). */
import { en } from "zod/v4/locales";

export * from "zod/v4/core";
export const locales = { en };
