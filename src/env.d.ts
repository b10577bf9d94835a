// The secrets (AIMLAPI_KEY, RELAY_API_KEYS, WEBHOOK_SECRET, URL_SIGNING_SECRET)
// are typed in worker-configuration.d.ts: `npm run types` reads their names
// from .dev.vars.example (`wrangler types --env-file`), so the generated file
// is the same with or without a local .dev.vars, and `wrangler dev` finds it up
// to date. Each secret may be empty or absent at runtime, with a documented
// behaviour: src/config.ts reads every one as `string | undefined`.

declare module "*.mp4" {
  const data: ArrayBuffer;
  export default data;
}

/** HTML pages, bundled as text (the `Text` rule in wrangler.jsonc). */
declare module "*.html" {
  const text: string;
  export default text;
}
