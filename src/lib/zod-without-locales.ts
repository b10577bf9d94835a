/**
 * zod as the Worker bundles it (wrangler.jsonc `alias`): every export of
 * zod's classic API, but `locales`, the translations of its error messages
 * (the relay writes its own messages and uses zod's English ones only), keeps
 * English alone, here and in `core`. @hono/zod-openapi passes zod's whole
 * namespace to a function, so the bundler cannot leave out what no code
 * reads: about 260 KiB of the Worker's 750 KiB were those translations.
 * Tests and scripts under Node import zod itself;
 * test/unit/zod-without-locales.test.ts checks that both export the same.
 */
import { en } from "zod/v4/locales";
import * as core from "./zod-core-without-locales.ts";
import * as self from "./zod-without-locales.ts";

export * from "zod/v4";
// Local exports take precedence over the star export's of the same name.
export const locales = { en };
export { core, self as z, self as default };
