import { app } from "./app.ts";

export { GenerationObject } from "./generation/object.ts";
export { ClientIndexObject } from "./generation/client-index.ts";

export default app satisfies ExportedHandler<Env>;
