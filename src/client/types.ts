/**
 * The client's names for the API's shapes, all taken from the generated
 * `openapi.ts` (the document the Worker serves): a route's request and answer
 * types are read off its path, so a change in the API shows up here as a type
 * error rather than as a silently stale copy.
 */
import type { components, paths, webhooks } from "./openapi.ts";

type Schemas = components["schemas"];

/** The JSON body of a route's answer with this status. */
export type JsonAnswer<
  Path extends keyof paths,
  Method extends keyof paths[Path],
  Status extends number,
> = paths[Path][Method] extends { responses: { [S in Status]: { content: { "application/json": infer Body } } } }
  ? Body
  : never;

/** A route's query parameters. */
export type Query<Path extends keyof paths, Method extends keyof paths[Path]> = paths[Path][Method] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type Generation = JsonAnswer<"/v1/generations/{id}", "get", 200>;
export type GenerationStatus = Schemas["GenerationStatus"];
export type CreateGenerationRequest = NonNullable<
  paths["/v1/generations"]["post"]["requestBody"]
>["content"]["application/json"];
export type GenerationList = JsonAnswer<"/v1/generations", "get", 200>;
export type ListQuery = Query<"/v1/generations", "get">;
/** A cancel answers the Generation, a purge `{id, purged: true}`: one route, two bodies. */
type DeleteAnswer = JsonAnswer<"/v1/generations/{id}", "delete", 200>;
export type Purged = Extract<DeleteAnswer, { purged: true }>;
export type Canceled = Exclude<DeleteAnswer, Purged>;
export type EventList = JsonAnswer<"/v1/generations/{id}/events", "get", 200>;
export type TimelineEvent = EventList["data"][number];
export type EventsQuery = Query<"/v1/generations/{id}/events", "get">;
export type ModelList = JsonAnswer<"/v1/models", "get", 200>;
export type Model = JsonAnswer<"/v1/models/{id}", "get", 200>;
export type Usage = JsonAnswer<"/v1/usage", "get", 200>;
export type UsageQuery = Query<"/v1/usage", "get">;
export type WebhookSecret = JsonAnswer<"/v1/webhooks/secret", "get", 200>;
export type WebhookTestResult = JsonAnswer<"/v1/webhooks/test", "post", 200>;
/** The API's error body: `{error: {code, message, details?}}`. */
export type ErrorBody = Schemas["Error"];
export type ErrorDetail = NonNullable<ErrorBody["error"]["details"]>[number];

/** The events a webhook can carry, by their short name (`completed`) as `webhook_events` takes them. */
export type WebhookEventName = NonNullable<Generation["webhook"]>["events"][number];
/** The JSON body of one of the document's webhooks. */
type WebhookBody<Type extends keyof webhooks> = webhooks[Type] extends {
  post: { requestBody: { content: { "application/json": infer Body } } };
}
  ? Body
  : never;
/**
 * The body of a webhook delivery, any event the relay sends (the document's
 * `webhooks`), told apart by `type`: `{type: "generation.completed", timestamp,
 * data: Generation}` and the other generation events, or the `webhook.test`
 * event of `POST /v1/webhooks/test`.
 */
export type WebhookEvent = { [Type in keyof webhooks]: WebhookBody<Type> }[keyof webhooks];
/** A generation's webhook events (`generation.started`, …), whose `data` is the Generation. */
export type GenerationWebhookEvent = Exclude<WebhookEvent, { type: "webhook.test" }>;
/** The event `POST /v1/webhooks/test` sends. */
export type WebhookTestEvent = Extract<WebhookEvent, { type: "webhook.test" }>;
