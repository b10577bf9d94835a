// Which `webhook_url` values the relay agrees to POST to (CONTRACT §5).
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

export type WebhookUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

export type WebhookUrlPolicyOptions = {
  /** `WEBHOOK_ALLOW_PRIVATE=true`: also accept `http:` and loopback/private hosts. */
  allowPrivate: boolean;
};

export const WEBHOOK_URL_MAX_LENGTH = 2048;

/**
 * What an address or host name is. `public` is the only class accepted
 * without `allowPrivate`; the classes in {@link CLASSES_ALLOWED_WHEN_PRIVATE}
 * are accepted with it; all others are refused always.
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
  if (hostClass === "public") return { ok: true, url: url.href };
  if (opts.allowPrivate && CLASSES_ALLOWED_WHEN_PRIVATE.has(hostClass)) {
    return { ok: true, url: url.href };
  }
  const hint = CLASSES_ALLOWED_WHEN_PRIVATE.has(hostClass) ? " (allowed only with WEBHOOK_ALLOW_PRIVATE=true)" : "";
  return refuse(`webhook_url host ${url.hostname} ${detail}${hint}`);
}

function refuse(reason: string): WebhookUrlCheck {
  return { ok: false, reason };
}

function classifyHost(hostname: string): Classified {
  if (hostname.startsWith("[") && hostname.endsWith("]")) {
    const groups = parseIPv6(hostname.slice(1, -1));
    // The URL parser has already validated the literal, so this is only a
    // guard against a parser we do not expect; refuse rather than guess.
    if (groups === null) return { hostClass: "reserved", detail: "is not a valid IPv6 address" };
    return classifyIPv6(groups);
  }

  const ipv4 = parseDottedQuad(hostname);
  if (ipv4 !== null) return classifyIPv4(ipv4);

  return classifyName(hostname);
}

// ---------------------------------------------------------------------------
// Host names

function classifyName(hostname: string): Classified {
  // A trailing dot marks a fully-qualified name and resolves the same, so
  // `localhost.` must be treated as `localhost`. The parser lower-cases
  // special-scheme hosts already; lower-casing again keeps this self-contained.
  const name = hostname.toLowerCase().replace(/\.+$/, "");

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

type IPv4 = readonly [number, number, number, number];

function parseDottedQuad(hostname: string): IPv4 | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (match === null) return null;
  const octets = [match[1], match[2], match[3], match[4]].map(Number);
  const [a, b, c, d] = octets;
  if (a === undefined || b === undefined || c === undefined || d === undefined) return null;
  if (octets.some((octet) => octet > 255)) return null;
  return [a, b, c, d];
}

/** Whether `ip` lies in `prefix`/`bits`, comparing as unsigned 32-bit numbers. */
function inIPv4Range(ip: IPv4, prefix: IPv4, bits: number): boolean {
  if (bits === 0) return true;
  const mask = (~0 << (32 - bits)) >>> 0;
  return (ipv4ToNumber(ip) & mask) >>> 0 === (ipv4ToNumber(prefix) & mask) >>> 0;
}

function ipv4ToNumber([a, b, c, d]: IPv4): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

// Cloud metadata services that hand out instance credentials: AWS/GCP/Azure/
// OpenStack (169.254.169.254), AWS ECS task metadata (169.254.170.2) and
// Alibaba Cloud (100.100.100.200). They sit inside link-local and CGNAT
// ranges, which allowPrivate opens, so they are listed before those ranges.
const IPV4_METADATA: readonly IPv4[] = [
  [169, 254, 169, 254],
  [169, 254, 170, 2],
  [100, 100, 100, 200],
];

// Ordered: the first matching range decides, so specific ranges come first.
const IPV4_RANGES: readonly { prefix: IPv4; bits: number; hostClass: HostClass; detail: string }[] = [
  { prefix: [0, 0, 0, 0], bits: 8, hostClass: "unspecified", detail: "is an unspecified address (0.0.0.0/8)" },
  { prefix: [127, 0, 0, 0], bits: 8, hostClass: "loopback", detail: "is a loopback address (127.0.0.0/8)" },
  { prefix: [10, 0, 0, 0], bits: 8, hostClass: "private", detail: "is a private address (10.0.0.0/8)" },
  { prefix: [172, 16, 0, 0], bits: 12, hostClass: "private", detail: "is a private address (172.16.0.0/12)" },
  { prefix: [192, 168, 0, 0], bits: 16, hostClass: "private", detail: "is a private address (192.168.0.0/16)" },
  {
    prefix: [169, 254, 0, 0],
    bits: 16,
    hostClass: "link-local",
    detail: "is a private link-local address (169.254.0.0/16)",
  },
  {
    prefix: [100, 64, 0, 0],
    bits: 10,
    hostClass: "cgnat",
    detail: "is a private carrier-grade NAT address (100.64.0.0/10)",
  },
  // Special-purpose blocks that are never a legitimate public receiver
  // (IETF protocol assignments, documentation, benchmarking, 6to4 relay).
  { prefix: [192, 0, 0, 0], bits: 24, hostClass: "reserved", detail: "is a reserved address (192.0.0.0/24)" },
  {
    prefix: [192, 0, 2, 0],
    bits: 24,
    hostClass: "reserved",
    detail: "is a reserved documentation address (192.0.2.0/24)",
  },
  {
    prefix: [198, 51, 100, 0],
    bits: 24,
    hostClass: "reserved",
    detail: "is a reserved documentation address (198.51.100.0/24)",
  },
  {
    prefix: [203, 0, 113, 0],
    bits: 24,
    hostClass: "reserved",
    detail: "is a reserved documentation address (203.0.113.0/24)",
  },
  {
    prefix: [198, 18, 0, 0],
    bits: 15,
    hostClass: "reserved",
    detail: "is a reserved benchmarking address (198.18.0.0/15)",
  },
  { prefix: [192, 88, 99, 0], bits: 24, hostClass: "reserved", detail: "is a reserved address (192.88.99.0/24)" },
  { prefix: [224, 0, 0, 0], bits: 4, hostClass: "multicast", detail: "is a reserved multicast address (224.0.0.0/4)" },
  {
    prefix: [255, 255, 255, 255],
    bits: 32,
    hostClass: "broadcast",
    detail: "is a reserved broadcast address (255.255.255.255)",
  },
  { prefix: [240, 0, 0, 0], bits: 4, hostClass: "reserved", detail: "is a reserved address (240.0.0.0/4)" },
];

function classifyIPv4(ip: IPv4): Classified {
  if (IPV4_METADATA.some((meta) => inIPv4Range(ip, meta, 32))) {
    return { hostClass: "metadata", detail: "is a cloud metadata address (reserved)" };
  }
  for (const range of IPV4_RANGES) {
    if (inIPv4Range(ip, range.prefix, range.bits)) {
      return { hostClass: range.hostClass, detail: range.detail };
    }
  }
  return { hostClass: "public", detail: "is a public address" };
}

// ---------------------------------------------------------------------------
// IPv6

/** Eight 16-bit groups. */
type IPv6 = readonly number[];

/**
 * Parses the text between the brackets. The URL parser serialises IPv6 as
 * compressed lower-case hex without an embedded dotted quad, but a trailing
 * dotted quad is accepted too so the function does not depend on that detail.
 */
function parseIPv6(text: string): IPv6 | null {
  let body = text.toLowerCase();
  let tail: number[] = [];
  const dotted = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(body);
  if (dotted !== null) {
    const [, head = "", quad = ""] = dotted;
    const v4 = parseDottedQuad(quad);
    if (v4 === null) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    // Keep a trailing "::" intact ("::ffff:" -> "::ffff", "::" stays "::").
    body = head.endsWith("::") ? head : head.slice(0, -1);
  }

  const parseGroups = (part: string): number[] | null => {
    if (part === "") return [];
    const groups: number[] = [];
    for (const group of part.split(":")) {
      if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
      groups.push(parseInt(group, 16));
    }
    return groups;
  };

  const halves = body.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0] ?? "");
  if (head === null) return null;

  if (halves.length === 1) {
    const groups = [...head, ...tail];
    return groups.length === 8 ? groups : null;
  }
  const rest = parseGroups(halves[1] ?? "");
  if (rest === null) return null;
  const zeros = 8 - head.length - rest.length - tail.length;
  if (zeros < 1) return null;
  return [...head, ...new Array<number>(zeros).fill(0), ...rest, ...tail];
}

function group(ip: IPv6, index: number): number {
  return ip[index] ?? 0;
}

/** The IPv4 address carried in two 16-bit groups. */
function embeddedIPv4(high: number, low: number): IPv4 {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

function formatIPv4(ip: IPv4): string {
  return ip.join(".");
}

function classifyIPv6(ip: IPv6): Classified {
  const g = (index: number): number => group(ip, index);
  const firstFiveZero = [0, 1, 2, 3, 4].every((index) => g(index) === 0);

  if (ip.every((value) => value === 0)) {
    return { hostClass: "unspecified", detail: "is an unspecified address (::)" };
  }
  if (firstFiveZero && g(5) === 0 && g(6) === 0 && g(7) === 1) {
    return { hostClass: "loopback", detail: "is a loopback address (::1)" };
  }

  // Forms that carry an IPv4 address, which the network may deliver to that
  // IPv4 host: they are judged by the address they carry, so ::ffff:127.0.0.1
  // is as loopback as 127.0.0.1 and ::ffff:8.8.8.8 is as public as 8.8.8.8.
  const carried = carriedIPv4(ip);
  if (carried !== null) {
    const inner = classifyIPv4(carried.ipv4);
    return {
      hostClass: inner.hostClass,
      detail: `is the ${carried.form} form of ${formatIPv4(carried.ipv4)}, which ${inner.detail}`,
    };
  }

  // AWS's IPv6 instance metadata endpoint, inside the ULA range below.
  if (g(0) === 0xfd00 && g(1) === 0x0ec2 && [2, 3, 4, 5, 6].every((index) => g(index) === 0) && g(7) === 0x0254) {
    return { hostClass: "metadata", detail: "is a cloud metadata address (reserved)" };
  }
  if ((g(0) & 0xfe00) === 0xfc00) {
    return { hostClass: "unique-local", detail: "is a private unique-local address (fc00::/7)" };
  }
  if ((g(0) & 0xffc0) === 0xfe80) {
    return { hostClass: "link-local", detail: "is a private link-local address (fe80::/10)" };
  }
  if ((g(0) & 0xff00) === 0xff00) {
    return { hostClass: "multicast", detail: "is a reserved multicast address (ff00::/8)" };
  }
  if (g(0) === 0x2001 && g(1) === 0x0db8) {
    return { hostClass: "reserved", detail: "is a reserved documentation address (2001:db8::/32)" };
  }
  // Only 2000::/3 is allocated as global unicast; everything else left at
  // this point (site-local, discard-only, local-use NAT64, unassigned) is
  // not somewhere a public webhook receiver can live.
  if ((g(0) & 0xe000) !== 0x2000) {
    return { hostClass: "reserved", detail: "is a reserved address (outside 2000::/3)" };
  }
  return { hostClass: "public", detail: "is a public address" };
}

function carriedIPv4(ip: IPv6): { form: string; ipv4: IPv4 } | null {
  const g = (index: number): number => group(ip, index);
  const firstFiveZero = [0, 1, 2, 3, 4].every((index) => g(index) === 0);
  const lowV4 = embeddedIPv4(g(6), g(7));

  // ::ffff:a.b.c.d (RFC 4291 IPv4-mapped)
  if (firstFiveZero && g(5) === 0xffff) return { form: "IPv4-mapped", ipv4: lowV4 };
  // ::a.b.c.d (RFC 4291 IPv4-compatible, deprecated but still parsed)
  if (firstFiveZero && g(5) === 0) return { form: "IPv4-compatible", ipv4: lowV4 };
  // ::ffff:0:a.b.c.d (RFC 2765 IPv4-translated)
  if ([0, 1, 2, 3].every((index) => g(index) === 0) && g(4) === 0xffff && g(5) === 0) {
    return { form: "IPv4-translated", ipv4: lowV4 };
  }
  // 64:ff9b::a.b.c.d (RFC 6052 NAT64 well-known prefix)
  if (g(0) === 0x0064 && g(1) === 0xff9b && [2, 3, 4, 5].every((index) => g(index) === 0)) {
    return { form: "NAT64", ipv4: lowV4 };
  }
  // 2002:AABB:CCDD::/48 (RFC 3056 6to4) carries a.b.c.d in groups 1 and 2.
  if (g(0) === 0x2002) return { form: "6to4", ipv4: embeddedIPv4(g(1), g(2)) };
  return null;
}
