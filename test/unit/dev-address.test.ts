import { describe, expect, it } from "vitest";
import { devAddress } from "../../scripts/dev-address.ts";

describe("npm start's address (scripts/dev-address.ts)", () => {
  it("serves http on 8787 when nothing is said, and tells wrangler the port", () => {
    expect(devAddress([])).toEqual({ args: ["--port", "8787"], url: "http://localhost:8787", https: false });
  });

  it("keeps a port given either way, without adding another", () => {
    expect(devAddress(["--port", "9000"])).toMatchObject({ args: ["--port", "9000"], url: "http://localhost:9000" });
    expect(devAddress(["--port=9001", "--var", "SIMULATOR_SECONDS:5"])).toMatchObject({
      args: ["--port=9001", "--var", "SIMULATOR_SECONDS:5"],
      url: "http://localhost:9001",
    });
  });

  it("serves https when asked for with --local-protocol, in either form", () => {
    expect(devAddress(["--local-protocol", "https"])).toEqual({
      args: ["--local-protocol", "https", "--port", "8787"],
      url: "https://localhost:8787",
      https: true,
    });
    expect(devAddress(["--local-protocol=https", "--port", "8796"])).toMatchObject({
      url: "https://localhost:8796",
      https: true,
    });
    expect(devAddress(["--local-protocol", "http"])).toMatchObject({ url: "http://localhost:8787", https: false });
  });
});
