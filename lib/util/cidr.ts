/*
 * IPv4/IPv6 text → 16 bytes, with no Node.js module, so the editor checks allow-lists with this
 * very code (lib/editor). The grammar is the one `node:net` isIPv4/isIPv6 accept;
 * test/unit/util/cidr.spec.ts checks the two agree.
 */
const V4_PART = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const V4 = `(?:${V4_PART}\\.){3}${V4_PART}`;
const V6_PART = '[0-9a-fA-F]{1,4}';
const IPV4 = new RegExp(`^${V4}$`);
/** Eight groups, `::` standing for one or more zero groups, the last two groups optionally written as IPv4. */
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${V6_PART}:){7}(?:${V6_PART}|:)`,
      `(?:${V6_PART}:){6}(?:${V4}|:${V6_PART}|:)`,
      `(?:${V6_PART}:){5}(?::${V4}|(?::${V6_PART}){1,2}|:)`,
      `(?:${V6_PART}:){4}(?:(?::${V6_PART}){0,1}:${V4}|(?::${V6_PART}){1,3}|:)`,
      `(?:${V6_PART}:){3}(?:(?::${V6_PART}){0,2}:${V4}|(?::${V6_PART}){1,4}|:)`,
      `(?:${V6_PART}:){2}(?:(?::${V6_PART}){0,3}:${V4}|(?::${V6_PART}){1,5}|:)`,
      `(?:${V6_PART}:){1}(?:(?::${V6_PART}){0,4}:${V4}|(?::${V6_PART}){1,6}|:)`,
      `(?::(?:(?::${V6_PART}){0,5}:${V4}|(?::${V6_PART}){1,7}|:))`,
    ].join('|') +
    ')$',
);
/** A zone index after `%` (`fe80::1%eth0`): IPv6 only. */
const ZONE = /^[0-9a-zA-Z.:-]+$/;

/** One network as 16 address bytes (IPv4 as IPv4-mapped IPv6) and a prefix length 0-128. */
interface Network {
  bytes: Uint8Array;
  prefix: number;
}

function ipv4Bytes(text: string, into: Uint8Array, offset: number): void {
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) into[offset + i] = Number(parts[i]);
}

/**
 * An IPv4 or IPv6 address as 16 bytes; IPv4 becomes `::ffff:a.b.c.d` so both forms of the same
 * peer (Node reports `::ffff:10.1.2.3` on dual-stack sockets) compare equal. A zone index
 * (`fe80::1%eth0`) is accepted and ignored. `undefined` when the text is not an address.
 */
export function parseIp(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  const bytes = new Uint8Array(16);
  if (zone === -1 && IPV4.test(address)) {
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    ipv4Bytes(address, bytes, 12);
    return bytes;
  }
  if (!IPV6.test(address) || (zone !== -1 && !ZONE.test(text.slice(zone + 1)))) return undefined;
  let head = address;
  let tailV4: string | undefined;
  const lastColon = address.lastIndexOf(':');
  if (address.indexOf('.', lastColon) !== -1) {
    tailV4 = address.slice(lastColon + 1);
    head = address.slice(0, lastColon + 1) + '0:0';
  }
  const gap = head.indexOf('::');
  const left = gap === -1 ? head.split(':') : head.slice(0, gap).split(':').filter(Boolean);
  const right =
    gap === -1
      ? []
      : head
          .slice(gap + 2)
          .split(':')
          .filter(Boolean);
  const groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  for (let i = 0; i < 8; i++) {
    const value = parseInt(groups[i], 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  if (tailV4 !== undefined) ipv4Bytes(tailV4, bytes, 12);
  return bytes;
}

function parseNetwork(entry: string): Network | undefined {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const v4 = IPV4.test(address);
  const max = v4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const text = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return undefined;
    prefix = Number(text);
    if (prefix > max) return undefined;
  }
  return { bytes, prefix: v4 ? prefix + 96 : prefix };
}

function contains(network: Network, address: Uint8Array): boolean {
  const whole = network.prefix >> 3;
  for (let i = 0; i < whole; i++) if (network.bytes[i] !== address[i]) return false;
  const bits = network.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (network.bytes[whole] & mask) === (address[whole] & mask);
}

/**
 * A source allow-list of IPv4/IPv6 addresses and CIDR networks (`10.0.0.0/8`, `2001:db8::/32`,
 * `::ffff:10.0.0.0/104`). Host bits inside a network are ignored, as in most firewalls.
 */
export class CidrList {
  private constructor(private readonly networks: Network[]) {}

  /** Blank entries are skipped; entries that are not an address or network come back in `invalid`. */
  static parse(entries: readonly string[]): { list: CidrList; invalid: string[] } {
    const networks: Network[] = [];
    const invalid: string[] = [];
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === '') continue;
      const network = parseNetwork(entry);
      if (network) networks.push(network);
      else invalid.push(entry);
    }
    return { list: new CidrList(networks), invalid };
  }

  get size(): number {
    return this.networks.length;
  }

  /** False for anything that is not an address, so a garbled peer address is refused. */
  allows(address: string | undefined): boolean {
    if (address === undefined) return false;
    const bytes = parseIp(address);
    if (!bytes) return false;
    for (const network of this.networks) if (contains(network, bytes)) return true;
    return false;
  }
}
