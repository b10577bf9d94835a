// Which `webhook_url` values the relay agrees to POST to (docs/api.md#webhooks).
//
// The relay makes outbound requests to a URL chosen by the caller, so without
// a policy it is a server-side request forgery tool: a caller could aim the
// webhook at a cloud metadata endpoint or at services on a private network.
// This check is pure and runs on the URL text only. It cannot see what a
// public DNS name resolves to (for example `127.0.0.1.nip.io`); that gap is
// acceptable on Workers, whose outbound fetch cannot reach private networks,
// and it is why this file concentrates on literals and well-known local names.
//
// Everything is decided on the WHATWG-parsed URL rather than on the raw text:
// the parser already turns `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`,
// full-width digits and percent-encoded hosts into a dotted quad, and writes
// IPv6 in one canonical form, which is exactly what `fetch()` will connect to.
// Addresses are then classified with `ipaddr.js` (its IANA special-purpose
// ranges); this file adds only what it does not know: cloud metadata
// endpoints, and which IPv6 forms carry an IPv4 address.

import ipaddr from "ipaddr.js";

export type WebhookUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

export type WebhookUrlPolicyOptions = {
  /** `WEBHOOK_ALLOW_PRIVATE=true`: also accept `http:`, any port, and loopback/private hosts. */
  allowPrivate: boolean;
};

export const WEBHOOK_URL_MAX_LENGTH = 2048;

/**
 * What an address or host name is. `public` is the only class accepted
 * without `allowPrivate`; the classes in {@link CLASSES_ALLOWED_WHEN_PRIVATE}
 * are accepted with it; all others (metadata above all) are refused always.
 */
type HostClass =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "unique-local"
  | "local-name"
  | "unspecified"
  | "metadata"
  | "multicast"
  | "broadcast"
  | "reserved";

const CLASSES_ALLOWED_WHEN_PRIVATE: ReadonlySet<HostClass> = new Set<HostClass>([
  "loopback",
  "private",
  "link-local",
  "cgnat",
  "unique-local",
  "local-name",
]);

type Classified = { hostClass: HostClass; detail: string };

export function checkWebhookUrl(raw: string, opts: WebhookUrlPolicyOptions): WebhookUrlCheck {
  // Checked before parsing so a huge string is refused without being parsed.
  if (raw.length > WEBHOOK_URL_MAX_LENGTH) {
    return refuse(`webhook_url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`);
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("webhook_url must be an absolute URL");
  }

  const allowedSchemes = opts.allowPrivate ? ["https:", "http:"] : ["https:"];
  if (!allowedSchemes.includes(url.protocol)) {
    return refuse(
      opts.allowPrivate
        ? "webhook_url must use https or http (http is allowed because WEBHOOK_ALLOW_PRIVATE is on)"
        : "webhook_url must use https",
    );
  }

  // Credentials in a URL end up in logs and in the stored generation record,
  // and `user@host` is a classic way to disguise the real host.
  if (url.username !== "" || url.password !== "") {
    return refuse("webhook_url must not contain user-info (username or password)");
  }

  // Normalisation can make the URL longer than the input (percent-encoding,
  // punycode), and the normalised form is what gets stored and fetched.
  if (url.href.length > WEBHOOK_URL_MAX_LENGTH) {
    return refuse(`webhook_url must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`);
  }

  const { hostClass, detail } = classifyHost(url.hostname);
  const hostAllowed = hostClass === "public" || (opts.allowPrivate && CLASSES_ALLOWED_WHEN_PRIVATE.has(hostClass));
  if (!hostAllowed) {
    const hint = CLASSES_ALLOWED_WHEN_PRIVATE.has(hostClass) ? " (allowed only with WEBHOOK_ALLOW_PRIVATE=true)" : "";
    return refuse(`webhook_url host ${url.hostname} ${detail}${hint}`);
  }

  // A public receiver listens on 443; any other port on a public host is more
  // likely a service the caller wants to probe (mail, databases, admin
  // consoles). The parser drops a default port, so "" here means 443.
  if (!opts.allowPrivate && url.port !== "") {
    return refuse(
      `webhook_url must use port 443 (got ${url.port}; other ports are allowed only with WEBHOOK_ALLOW_PRIVATE=true)`,
    );
  }
  return { ok: true, url: url.href };
}

function refuse(reason: string): WebhookUrlCheck {
  return { ok: false, reason };
}

function classifyHost(hostname: string): Classified {
  if (hostname.startsWith("[") && hostname.endsWith("]")) {
    const literal = hostname.slice(1, -1);
    // The URL parser has already validated the literal, so this is only a
    // guard against a parser we do not expect; refuse rather than guess.
    if (!ipaddr.IPv6.isValid(literal)) return { hostClass: "reserved", detail: "is not a valid IPv6 address" };
    return classifyIPv6(ipaddr.IPv6.parse(literal));
  }
  // The parser writes every IPv4 host as a dotted quad of decimals; anything
  // else is a name (ipaddr.js alone would also read `0x7f.1` as an address).
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) return classifyIPv4(ipaddr.IPv4.parse(hostname));
  return classifyName(hostname);
}

// ---------------------------------------------------------------------------
// Cloud metadata services: they hand out instance credentials, and most sit
// inside link-local or private ranges that allowPrivate opens, so they are
// matched first and refused even then.

const METADATA_NAMES: ReadonlySet<string> = new Set([
  "metadata.google.internal", // Google Cloud
  "metadata.goog", // Google Cloud
  "metadata", // Google Cloud (search domain)
  "instance-data", // AWS
  "instance-data.ec2.internal", // AWS
  "metadata.tencentyun.com", // Tencent Cloud
  "metadata.packet.net", // Equinix Metal (Packet)
  "metadata.platformequinix.com", // Equinix Metal
  "rancher-metadata", // Rancher
]);

const METADATA_ADDRESSES: readonly ipaddr.IPv4[] = [
  "169.254.169.254", // AWS, Google Cloud, Azure, OpenStack, DigitalOcean, Hetzner, Oracle
  "169.254.170.2", // AWS ECS task metadata
  "169.254.170.23", // AWS EKS Pod Identity
  "169.254.0.23", // Tencent Cloud
  "169.254.42.42", // Scaleway
  "100.100.100.200", // Alibaba Cloud
  "192.0.0.192", // Oracle Cloud (legacy)
  "168.63.129.16", // Azure WireServer (a public-looking address, special inside Azure)
].map((address) => ipaddr.IPv4.parse(address));

const METADATA_ADDRESSES_V6: readonly ipaddr.IPv6[] = [
  "fd00:ec2::254", // AWS instance metadata
  "fd00:ec2::23", // AWS EKS Pod Identity
  "fd20:ce::254", // Google Cloud
].map((address) => ipaddr.IPv6.parse(address));

const METADATA: Classified = { hostClass: "metadata", detail: "is a cloud metadata address (reserved)" };

// ---------------------------------------------------------------------------
// Host names

function classifyName(hostname: string): Classified {
  // A trailing dot marks a fully-qualified name and resolves the same, so
  // `localhost.` must be treated as `localhost`. The parser lower-cases
  // special-scheme hosts already; lower-casing again keeps this self-contained.
  const name = hostname.toLowerCase().replace(/\.+$/, "");

  if (METADATA_NAMES.has(name)) return { hostClass: "metadata", detail: "is a cloud metadata name (reserved)" };
  if (name === "localhost" || name.endsWith(".localhost")) {
    return { hostClass: "loopback", detail: "is localhost (loopback)" };
  }
  if (name === "local" || name.endsWith(".local")) {
    return { hostClass: "local-name", detail: "is a private local-network name (.local)" };
  }
  if (name === "internal" || name.endsWith(".internal")) {
    return { hostClass: "local-name", detail: "is a private internal name (.internal)" };
  }
  // A single label (`intranet`, `com.`) is resolved through local search
  // domains, not the public DNS, so it is not a public host name.
  if (!name.includes(".")) {
    return { hostClass: "local-name", detail: "is not a public host name (private single-label name)" };
  }
  return { hostClass: "public", detail: "is a public host name" };
}

// ---------------------------------------------------------------------------
// IPv4

const IPV4_CLASSES: Readonly<Record<ReturnType<ipaddr.IPv4["range"]>, Classified>> = {
  unicast: { hostClass: "public", detail: "is a public address" },
  unspecified: { hostClass: "unspecified", detail: "is an unspecified address (0.0.0.0/8)" },
  loopback: { hostClass: "loopback", detail: "is a loopback address (127.0.0.0/8)" },
  private: { hostClass: "private", detail: "is a private address (RFC 1918)" },
  linkLocal: { hostClass: "link-local", detail: "is a private link-local address (169.254.0.0/16)" },
  carrierGradeNat: { hostClass: "cgnat", detail: "is a private carrier-grade NAT address (100.64.0.0/10)" },
  multicast: { hostClass: "multicast", detail: "is a reserved multicast address (224.0.0.0/4)" },
  broadcast: { hostClass: "broadcast", detail: "is a reserved broadcast address (255.255.255.255)" },
  // IETF protocol assignments, documentation, benchmarking, the 6to4 relay
  // anycast, 240/4, AS112 and AMT: never a legitimate webhook receiver.
  reserved: { hostClass: "reserved", detail: "is a reserved address" },
  benchmarking: { hostClass: "reserved", detail: "is a reserved benchmarking address" },
  as112: { hostClass: "reserved", detail: "is a reserved AS112 address" },
  amt: { hostClass: "reserved", detail: "is a reserved AMT address" },
};

function classifyIPv4(ip: ipaddr.IPv4): Classified {
  if (METADATA_ADDRESSES.some((meta) => ip.match(meta, 32))) return METADATA;
  return IPV4_CLASSES[ip.range()];
}

// ---------------------------------------------------------------------------
// IPv6

function classifyIPv6(ip: ipaddr.IPv6): Classified {
  if (METADATA_ADDRESSES_V6.some((meta) => ip.match(meta, 128))) return METADATA;

  // Forms that carry an IPv4 address, which the network may deliver to that
  // IPv4 host: they are judged by the address they carry, so ::ffff:127.0.0.1
  // is as loopback as 127.0.0.1 and ::ffff:8.8.8.8 is as public as 8.8.8.8.
  const carried = carriedIPv4(ip);
  if (carried !== null) {
    const inner = classifyIPv4(carried.ipv4);
    // A local-use prefix only routes inside the operator's own network.
    const hostClass = carried.localUse && inner.hostClass === "public" ? "private" : inner.hostClass;
    const scope = carried.localUse && inner.hostClass === "public" ? " but the prefix is local-use (private)" : "";
    return {
      hostClass,
      detail: `is the ${carried.form} form of ${carried.ipv4.toString()}, which ${inner.detail}${scope}`,
    };
  }

  switch (ip.range()) {
    case "unspecified":
      return { hostClass: "unspecified", detail: "is an unspecified address (::)" };
    case "loopback":
      return { hostClass: "loopback", detail: "is a loopback address (::1)" };
    case "uniqueLocal":
      return { hostClass: "unique-local", detail: "is a private unique-local address (fc00::/7)" };
    case "linkLocal":
      return { hostClass: "link-local", detail: "is a private link-local address (fe80::/10)" };
    case "multicast":
      return { hostClass: "multicast", detail: "is a reserved multicast address (ff00::/8)" };
    case "unicast":
      // Only 2000::/3 is allocated as global unicast; the rest (site-local,
      // discard-only, unassigned) is not where a public receiver can live.
      return ip.match(GLOBAL_UNICAST, 3)
        ? { hostClass: "public", detail: "is a public address" }
        : { hostClass: "reserved", detail: "is a reserved address (outside 2000::/3)" };
    default:
      // Documentation (2001:db8::/32), benchmarking, ORCHID, AS112, AMT,
      // segment routing and the other special-purpose blocks.
      return { hostClass: "reserved", detail: `is a reserved address (${ip.range()})` };
  }
}

const GLOBAL_UNICAST = ipaddr.IPv6.parse("2000::");

type Carried = { form: string; ipv4: ipaddr.IPv4; localUse: boolean };

/** The IPv4 address carried in two 16-bit groups. */
function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function carriedIPv4(ip: ipaddr.IPv6): Carried | null {
  const g = (index: number): number => ip.parts[index] ?? 0;
  const low = ipv4Of(g(6), g(7));
  const global = (form: string, ipv4: ipaddr.IPv4): Carried => ({ form, ipv4, localUse: false });

  switch (ip.range()) {
    case "ipv4Mapped": // ::ffff:a.b.c.d (RFC 4291)
      return global("IPv4-mapped", ip.toIPv4Address());
    case "rfc6145": // ::ffff:0:a.b.c.d (RFC 6145 IPv4-translated)
      return global("IPv4-translated", low);
    case "rfc6052": // NAT64 (RFC 6052 64:ff9b::/96, RFC 8215 local-use 64:ff9b:1::/48)
      // The local-use prefix may be cut anywhere from /48 to /96 by its
      // operator; the /96 layout (address in the last 32 bits) is the one used.
      return { form: "NAT64", ipv4: low, localUse: g(2) !== 0 };
    case "6to4": // 2002:AABB:CCDD::/48 (RFC 3056) carries a.b.c.d in groups 1 and 2
      return global("6to4", ipv4Of(g(1), g(2)));
    case "teredo": // 2001:0::/32 (RFC 4380): the client's address is the last 32 bits, inverted
      return global("Teredo", ipv4Of(~g(6) & 0xffff, ~g(7) & 0xffff));
    default:
      break;
  }
  // ::a.b.c.d (RFC 4291 IPv4-compatible, deprecated but still parsed); :: and
  // ::1 have their own classes and are handled by the caller.
  if (ip.parts.slice(0, 6).every((part) => part === 0) && (g(6) !== 0 || g(7) > 1)) {
    return global("IPv4-compatible", low);
  }
  return null;
}
