import { describe, it, expect } from "vitest";
import { checkWebhookUrl, WEBHOOK_URL_MAX_LENGTH } from "../../src/webhook/url-policy.ts";

const STRICT = { allowPrivate: false };
const LOCAL_DEV = { allowPrivate: true };

// Builds a syntactically valid https URL of exactly `length` characters.
function urlOfLength(length: number): string {
  const prefix = "https://hooks.example.com/";
  return prefix + "a".repeat(length - prefix.length);
}

// Each entry: a readable name, the URL, and what the refusal reason must say.
const REFUSED: readonly [name: string, url: string, reason: RegExp][] = [
  // Parsing and length
  ["a relative path", "/hooks/wan", /absolute URL/],
  ["a scheme-relative URL", "//example.com/hook", /absolute URL/],
  ["an empty string", "", /absolute URL/],
  ["a host with a space", "https://exa mple.com/", /absolute URL/],
  ["a URL one character over the limit", urlOfLength(WEBHOOK_URL_MAX_LENGTH + 1), /2048/],
  // Schemes
  ["plain http", "http://example.com/hook", /https/],
  ["ftp", "ftp://example.com/hook", /https/],
  ["file", "file:///etc/passwd", /https/],
  ["javascript", "javascript:alert(1)", /https/],
  ["data", "data:text/plain,hi", /https/],
  ["websocket", "wss://example.com/hook", /https/],
  ["gopher", "gopher://example.com/", /https/],
  // User-info
  ["a username", "https://user@example.com/hook", /user-info/],
  ["a username and password", "https://user:secret@example.com/hook", /user-info/],
  ["a password only", "https://:secret@example.com/hook", /user-info/],
  ["user-info disguising the host", "https://example.com@127.0.0.1/", /user-info/],
  // Local host names
  ["localhost", "https://localhost/hook", /localhost|loopback/],
  ["LOCALHOST in capitals", "https://LOCALHOST:8443/hook", /localhost|loopback/],
  ["localhost with a trailing dot", "https://localhost./hook", /localhost|loopback/],
  ["a subdomain of localhost", "https://api.localhost/hook", /localhost|loopback/],
  ["a .local name", "https://printer.local/hook", /\.local/],
  ["a .LOCAL name with a trailing dot", "https://NAS.Local./hook", /\.local/],
  ["a .internal name", "https://metadata.google.internal/computeMetadata/v1/", /\.internal/],
  ["a single-label name", "https://intranet/hook", /not a public host name/],
  ["a top-level domain with a trailing dot", "https://com./hook", /not a public host name/],
  // IPv4 literals, in every spelling the URL parser folds into a dotted quad
  ["IPv4 loopback", "https://127.0.0.1/hook", /loopback/],
  ["IPv4 loopback with a trailing dot", "https://127.0.0.1./hook", /loopback/],
  ["IPv4 loopback elsewhere in 127/8", "https://127.255.10.1/", /loopback/],
  ["IPv4 loopback as a decimal number", "https://2130706433/", /loopback/],
  ["IPv4 loopback in hex", "https://0x7f000001/", /loopback/],
  ["IPv4 loopback in octal", "https://0177.0.0.1/", /loopback/],
  ["IPv4 loopback shortened", "https://127.1/", /loopback/],
  ["IPv4 loopback in full-width digits", "https://１２７.０.０.１/", /loopback/],
  ["IPv4 loopback percent-encoded", "https://%31%32%37.0.0.1/", /loopback/],
  ["private 10/8", "https://10.0.0.5/hook", /private/],
  ["private 172.16/12", "https://172.16.0.1/hook", /private/],
  ["private 172.31 (end of 172.16/12)", "https://172.31.255.254/hook", /private/],
  ["private 192.168/16", "https://192.168.1.1/hook", /private/],
  ["link-local 169.254/16", "https://169.254.1.1/hook", /link-local/],
  ["CGNAT 100.64/10", "https://100.64.0.1/hook", /carrier-grade NAT/],
  ["unspecified 0.0.0.0", "https://0.0.0.0/hook", /unspecified/],
  ["unspecified as the number 0", "https://0/hook", /unspecified/],
  ["cloud metadata 169.254.169.254", "https://169.254.169.254/latest/meta-data/", /metadata/],
  ["cloud metadata in decimal", "https://2852039166/latest/meta-data/", /metadata/],
  ["ECS task metadata", "https://169.254.170.2/v2/credentials", /metadata/],
  ["multicast 224/4", "https://224.0.0.1/", /multicast|reserved/],
  ["reserved 240/4", "https://240.0.0.1/", /reserved/],
  ["broadcast", "https://255.255.255.255/", /broadcast|reserved/],
  ["documentation TEST-NET-1", "https://192.0.2.10/", /reserved/],
  // IPv6 literals
  ["IPv6 loopback", "https://[::1]/hook", /loopback/],
  ["IPv6 loopback written out in full", "https://[0:0:0:0:0:0:0:1]/hook", /loopback/],
  ["IPv6 unspecified", "https://[::]/hook", /unspecified/],
  ["IPv6 unique-local fc00::/7", "https://[fc00::1]/hook", /private|unique-local/],
  ["IPv6 unique-local fd12::", "https://[fd12:3456:789a::1]/hook", /private|unique-local/],
  ["IPv6 link-local", "https://[fe80::1]/hook", /link-local/],
  ["IPv6 multicast", "https://[ff02::1]/hook", /multicast/],
  ["IPv6 cloud metadata fd00:ec2::254", "https://[fd00:ec2::254]/", /metadata/],
  ["IPv4-mapped loopback, dotted", "https://[::ffff:127.0.0.1]/hook", /IPv4-mapped.*loopback/],
  ["IPv4-mapped loopback, hex", "https://[::ffff:7f00:1]/hook", /IPv4-mapped.*loopback/],
  ["IPv4-mapped private", "https://[::ffff:192.168.0.1]/hook", /IPv4-mapped.*private/],
  ["IPv4-mapped metadata", "https://[::ffff:169.254.169.254]/", /IPv4-mapped.*metadata/],
  ["IPv4-compatible loopback", "https://[::127.0.0.1]/hook", /IPv4-compatible.*loopback/],
  ["NAT64 of loopback", "https://[64:ff9b::127.0.0.1]/hook", /NAT64.*loopback/],
  ["NAT64 of private, hex", "https://[64:ff9b::a00:1]/hook", /NAT64.*private/],
  ["6to4 of private", "https://[2002:c0a8:101::1]/hook", /6to4.*private/],
  ["IPv6 documentation range", "https://[2001:db8::1]/hook", /reserved/],
  ["IPv6 deprecated site-local", "https://[fec0::1]/hook", /reserved/],
  // Ports: only 443 (changed: "an explicit port", https://example.com:8443/hook, was accepted before)
  ["an explicit port", "https://example.com:8443/hook", /port 443/],
  ["port 80 on https", "https://example.com:80/hook", /port 443/],
  ["an SSH port on a public address", "https://8.8.8.8:22/", /port 443/],
  ["a port on a public IPv6 literal", "https://[2606:4700:4700::1111]:8443/hook", /port 443/],
  // Cloud metadata names and addresses
  ["Google's metadata name in capitals with a trailing dot", "https://METADATA.GOOGLE.INTERNAL./", /metadata/],
  ["Google's metadata.goog", "https://metadata.goog/computeMetadata/v1/", /metadata/],
  ["the single-label metadata name", "https://metadata/computeMetadata/v1/", /metadata/],
  ["AWS instance-data", "https://instance-data/latest/meta-data/", /metadata/],
  ["Alibaba Cloud metadata", "https://100.100.100.200/latest/meta-data/", /metadata/],
  ["Azure WireServer", "https://168.63.129.16/machine", /metadata/],
  ["Oracle Cloud legacy metadata", "https://192.0.0.192/latest/", /metadata/],
  ["EKS Pod Identity", "https://169.254.170.23/v1/credentials", /metadata/],
  ["Google Cloud IPv6 metadata", "https://[fd20:ce::254]/", /metadata/],
  ["EKS Pod Identity over IPv6", "https://[fd00:ec2::23]/", /metadata/],
  // IPv4 embedded in IPv6, judged by the embedded address
  ["IPv4-translated loopback", "https://[::ffff:0:7f00:1]/hook", /IPv4-translated.*loopback/],
  ["NAT64 of metadata", "https://[64:ff9b::a9fe:a9fe]/", /NAT64.*metadata/],
  ["local-use NAT64 of private", "https://[64:ff9b:1::a00:1]/hook", /NAT64.*private/],
  ["local-use NAT64 of a public address", "https://[64:ff9b:1::808:808]/hook", /NAT64.*local-use/],
  ["6to4 of loopback", "https://[2002:7f00:1::1]/hook", /6to4.*loopback/],
  ["6to4 of metadata", "https://[2002:a9fe:a9fe::1]/", /6to4.*metadata/],
  // Teredo: the client address is the last 32 bits, inverted (here ~127.0.0.1, ~192.168.1.1, ~169.254.169.254).
  ["Teredo of loopback", "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook", /Teredo.*127\.0\.0\.1.*loopback/],
  ["Teredo of private", "https://[2001:0:4136:e378:8000:63bf:3f57:fefe]/hook", /Teredo.*192\.168\.1\.1.*private/],
  ["Teredo of metadata", "https://[2001:0:4136:e378:8000:63bf:5601:5601]/", /Teredo.*metadata/],
  // More special-purpose blocks
  ["IPv6 benchmarking", "https://[2001:2::1]/hook", /reserved/],
  ["IPv6 documentation 3fff::/20", "https://[3fff::1]/hook", /reserved/],
  ["AS112", "https://192.175.48.1/hook", /reserved/],
];

const ACCEPTED: readonly [name: string, url: string][] = [
  ["a plain public host", "https://example.com/hook"],
  ["a multi-label public suffix", "https://hooks.example.co.uk/wan"],
  ["the explicit https port 443", "https://example.com:443/hook"],
  ["a query string", "https://example.com/hook?source=wan&x=1"],
  ["a fragment", "https://example.com/hook#section"],
  ["a fully-qualified name with a trailing dot", "https://example.com./hook"],
  ["an internationalised domain name", "https://bücher.example/hook"],
  ["a public IPv4 literal", "https://8.8.8.8/hook"],
  ["an address just outside 172.16/12", "https://172.32.0.1/hook"],
  ["an address just outside 100.64/10", "https://100.128.0.1/hook"],
  ["a public IPv6 literal", "https://[2606:4700:4700::1111]/hook"],
  ["IPv4-mapped public address", "https://[::ffff:8.8.8.8]/hook"],
  ["a name that merely contains 'localhost'", "https://localhost.example.com/hook"],
  ["a name ending in 'internal' without the dot", "https://mycompanyinternal.com/hook"],
  ["a URL exactly at the length limit", urlOfLength(WEBHOOK_URL_MAX_LENGTH)],
  ["NAT64 of a public address", "https://[64:ff9b::808:808]/hook"],
  ["6to4 of a public address", "https://[2002:808:808::1]/hook"],
  ["Teredo with a public client address (~8.8.8.8)", "https://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/hook"],
];

describe("checkWebhookUrl with allowPrivate off", () => {
  it.each(REFUSED)("refuses %s", (_name, url, reason) => {
    const result = checkWebhookUrl(url, STRICT);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each(ACCEPTED)("accepts %s", (_name, url) => {
    expect(checkWebhookUrl(url, STRICT)).toEqual({ ok: true, url: new URL(url).href });
  });

  it("returns the normalised href", () => {
    expect(checkWebhookUrl("HTTPS://Hooks.EXAMPLE.com:443/a/../wan", STRICT)).toEqual({
      ok: true,
      url: "https://hooks.example.com/wan",
    });
  });

  it("names every refusal after webhook_url", () => {
    for (const [, url] of REFUSED) {
      const result = checkWebhookUrl(url, STRICT);
      if (!result.ok) expect(result.reason).toMatch(/^webhook_url /);
    }
  });

  it("hints that private hosts are allowed only with WEBHOOK_ALLOW_PRIVATE", () => {
    const result = checkWebhookUrl("https://10.1.2.3/", STRICT);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/WEBHOOK_ALLOW_PRIVATE/);
  });
});

describe("checkWebhookUrl with allowPrivate on (local development)", () => {
  it.each([
    ["http loopback with a port", "http://127.0.0.1:8787/hook"],
    ["http localhost", "http://localhost:3000/x"],
    ["http private 10/8", "http://10.0.0.5/x"],
    ["https private 192.168/16", "https://192.168.1.20/x"],
    ["a .local name", "http://devbox.local/x"],
    ["a .internal name", "http://receiver.internal/x"],
    ["a single-label name", "http://receiver:8080/x"],
    ["IPv6 loopback", "http://[::1]:8787/x"],
    ["IPv6 unique-local", "http://[fd00::5]/x"],
    ["IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/x"],
    ["link-local", "http://169.254.10.10/x"],
    ["CGNAT", "http://100.64.1.1/x"],
    ["a public https host, as before", "https://example.com/hook"],
    ["any port on a public host", "https://example.com:8443/hook"],
    ["any port on a private address", "http://10.0.0.5:5432/x"],
    ["Teredo of a private client", "http://[2001:0:4136:e378:8000:63bf:3f57:fefe]/x"],
    ["local-use NAT64 of a public address", "http://[64:ff9b:1::808:808]/x"],
  ])("accepts %s", (_name, url) => {
    expect(checkWebhookUrl(url, LOCAL_DEV)).toEqual({ ok: true, url: new URL(url).href });
  });

  it.each([
    ["ftp", "ftp://127.0.0.1/hook", /https or http/],
    ["file", "file:///tmp/hook", /https or http/],
    ["websocket", "ws://localhost:8787/hook", /https or http/],
    ["user-info", "http://admin:pw@localhost:3000/x", /user-info/],
    ["unspecified 0.0.0.0", "http://0.0.0.0:8787/x", /unspecified/],
    ["IPv6 unspecified", "http://[::]:8787/x", /unspecified/],
    ["cloud metadata 169.254.169.254", "http://169.254.169.254/latest/meta-data/", /metadata/],
    ["IPv4-mapped cloud metadata", "http://[::ffff:a9fe:a9fe]/", /metadata/],
    ["IPv6 cloud metadata", "http://[fd00:ec2::254]/", /metadata/],
    ["Google's metadata name (a .internal name, otherwise allowed)", "http://metadata.google.internal/", /metadata/],
    ["the single-label metadata name", "http://metadata/computeMetadata/v1/", /metadata/],
    ["AWS instance-data", "http://instance-data.ec2.internal/latest/", /metadata/],
    ["Alibaba Cloud metadata (inside CGNAT, otherwise allowed)", "http://100.100.100.200/latest/", /metadata/],
    ["ECS task metadata (inside link-local, otherwise allowed)", "http://169.254.170.2/v2/credentials", /metadata/],
    ["cloud metadata in decimal with a port", "http://2852039166:80/latest/", /metadata/],
    ["Google Cloud IPv6 metadata", "http://[fd20:ce::254]/", /metadata/],
    ["NAT64 of metadata", "http://[64:ff9b::a9fe:a9fe]/", /NAT64.*metadata/],
    ["local-use NAT64 of metadata", "http://[64:ff9b:1::a9fe:a9fe]/", /NAT64.*metadata/],
    ["6to4 of metadata", "http://[2002:a9fe:a9fe::1]/", /6to4.*metadata/],
    ["Teredo of metadata", "http://[2001:0:4136:e378:8000:63bf:5601:5601]/", /Teredo.*metadata/],
    ["multicast", "http://224.0.0.251/x", /multicast|reserved/],
    ["broadcast", "http://255.255.255.255/x", /broadcast|reserved/],
    ["a URL over the length limit", `http://localhost/${"a".repeat(WEBHOOK_URL_MAX_LENGTH)}`, /2048/],
    ["a relative URL", "/x", /absolute URL/],
  ])("still refuses %s", (_name, url, reason) => {
    const result = checkWebhookUrl(url, LOCAL_DEV);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
