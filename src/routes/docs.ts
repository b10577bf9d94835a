/**
 * Pages without auth: the playground (`/`), the OpenAPI document and a docs page.
 */
import { Hono } from "hono";
import type { AppEnv } from "../lib/http.ts";
import { openApiDocument } from "./openapi.ts";
import { PLAYGROUND_HTML } from "./playground.ts";

export const docs = new Hono<AppEnv>();

docs.get("/", (c) => c.html(PLAYGROUND_HTML));

docs.get("/openapi.json", (c) => c.json(openApiDocument(new URL(c.req.url).origin)));

docs.get("/docs", (c) =>
  c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wan-relay API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f4f4f4;padding:.1rem .3rem}
h2{margin-top:2rem}.op{margin:.4rem 0}.m{display:inline-block;width:4.5rem;font-weight:600}</style></head>
<body><h1>wan-relay API</h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1, generated from the schemas that validate requests). Try it: <a href="/">the playground</a>.</p>
<p>Every <code>/v1</code> call needs <code>Authorization: Bearer &lt;client key&gt;</code>; the video may instead be fetched with its signed link.</p>
<div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const ops=document.getElementById('ops');ops.textContent='';
  for(const [path,item] of Object.entries(doc.paths)){for(const [m,op] of Object.entries(item)){
    const d=document.createElement('div');d.className='op';
    const b=document.createElement('span');b.className='m';b.textContent=m.toUpperCase();
    const p=document.createElement('code');p.textContent=path;
    d.append(b,p,document.createTextNode(' \u2014 '+(op.summary||'')));ops.append(d);}}
});
</script></body></html>`),
);
