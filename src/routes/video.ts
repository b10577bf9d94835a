/**
 * The stored video (docs/api.md#native-api), mounted at /v1: served from R2 with
 * Range and ETag, to the owner's key or to anyone holding its signed link.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { ApiError, notFound } from "../lib/errors.ts";
import { assertConfigured, requireClient, type AppEnv } from "../lib/http.ts";
import type { VideoAuth } from "../generation/object.ts";
import { keyring } from "../keyring/keyring.ts";
import { verifyVideoLink } from "../lib/link-signing.ts";
import { serveVideo } from "../storage/serve-video.ts";
import { BEARER_OR_SIGNED_LINK, generationStub, GenerationIdParamsSchema, nativeErrors } from "./common.ts";

export const video = new OpenAPIHono<AppEnv>();

/** A signed query and no Authorization header: the signature authorises the request instead of a key. */
const isSignedLinkRequest = (request: {
  header(name: string): string | undefined;
  query(name: string): string | undefined;
}) => request.header("Authorization") === undefined && request.query("signature") !== undefined;

const requireKeyOrSignedLink = createMiddleware<AppEnv>(async (c, next) => {
  if (isSignedLinkRequest(c.req)) assertConfigured(c.env);
  else c.set("clientId", await requireClient(c));
  await next();
});

const mp4 = { "video/mp4": { schema: { type: "string" as const, contentMediaType: "video/mp4" } } };

export const getVideoRoute = createRoute({
  tags: ["Generations"],
  method: "get",
  path: "/generations/{id}/video",
  summary: "The stored MP4 (Range and conditional requests supported; HEAD too)",
  security: BEARER_OR_SIGNED_LINK,
  middleware: [requireKeyOrSignedLink],
  request: {
    params: GenerationIdParamsSchema,
    query: z.object({
      expires: z.string().optional().openapi({ description: "Signed link: expiry, Unix seconds" }),
      signature: z.string().optional().openapi({ description: "Signed link: signature over the id and expiry" }),
    }),
  },
  responses: {
    200: { description: "The whole video", content: mp4 },
    206: { description: "The requested range", content: mp4 },
    304: { description: "Not modified (If-None-Match matched the ETag)" },
    416: { description: "Range not satisfiable; Content-Range gives the size" },
    ...nativeErrors([401, 403, 404, 503], {
      404: "No such generation for this key or link (video_not_ready: not stored yet)",
    }),
  },
});

video.openapi(getVideoRoute, async (c) => {
  const id = c.req.valid("param").id;
  const stub = await generationStub(c.env, id);
  let auth: VideoAuth = { verifiedLink: true };
  if (isSignedLinkRequest(c.req)) {
    // Checked here, before the object is asked: a forged link costs it nothing.
    const { expires = "", signature = "" } = c.req.valid("query");
    const { linkKey } = await keyring(c.env);
    const verdict = await verifyVideoLink(linkKey, id, expires, signature, Date.now() / 1000);
    if (verdict === "invalid") throw new ApiError(403, "invalid_signature", "The video link's signature is not valid");
    if (verdict === "expired") {
      throw new ApiError(403, "link_expired", "The video link has expired; GET the generation for a fresh one");
    }
  } else {
    auth = { clientId: c.var.clientId };
  }
  const access = await stub.videoAccess(auth);
  switch (access.kind) {
    case "not_found":
      throw notFound();
    case "not_ready":
      throw new ApiError(404, "video_not_ready", `The generation is ${access.status}; its video is not stored yet`);
    case "ok":
      return serveVideo(c.env.VIDEOS, access.video, c.req.raw);
  }
});
