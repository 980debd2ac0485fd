import {
  boolean,
  host,
  integer,
  isPlainObject,
  oneOf,
  secret,
  show,
  string,
  unknownKeyMessage,
} from './checks.js';
import type { Check, Issue } from './checks.js';
import { hostPort, normalizeAddress } from './address.js';
import type { DeviceConfig, OutletConfig } from './types.js';
import { NAME_PATTERN, RESERVED_NAMES, RESERVED_OUTLET_NAMES } from '../reading.js';

/** The plug's legacy protocol port; used when a device gives none. */
export const DEFAULT_PLUG_PORT = 9999;

/** The HTTP port of KLAP and AES plugs; used when a device forcing one of them gives no port. */
export const DEFAULT_HTTP_PORT = 80;

/** The transports `devices[].transport` may force. */
export const TRANSPORTS = ['xor', 'klap', 'aes'] as const;

/** The port a device uses when it gives none: 80 when it forces KLAP or AES, else 9999. */
export function defaultPort(transport: unknown): number {
  return transport === 'klap' || transport === 'aes' ? DEFAULT_HTTP_PORT : DEFAULT_PLUG_PORT;
}

/** emonhub node ids a device may use (emonhub takes any integer; 1..255 keeps ids byte-sized). */
export const NODE_RANGE = { min: 1, max: 255 } as const;

const DEVICE_KEYS = [
  'host',
  'port',
  'name',
  'node',
  'control',
  'outlets',
  'transport',
  'username',
  'password',
  'passwordFile',
] as const;
const OUTLET_KEYS = ['name', 'node'] as const;
const OUTLET_EXAMPLE = '[{"name": "kettle", "node": 31}, {}, {"name": "tv"}]';
const EXAMPLE = '{"host": "192.168.1.50", "name": "fridge", "node": 27}';

const checkPort = integer(1, 65535);
const checkNode = integer(NODE_RANGE.min, NODE_RANGE.max);
const NAME_RULE = 'must be 1 to 64 of a-z, 0-9, "_" and "-" (it becomes an MQTT topic level)';
const checkName: Check = (v) => {
  if (typeof v !== 'string' || !NAME_PATTERN.test(v))
    return [{ message: `${NAME_RULE}, got ${show(v)}` }];
  if (RESERVED_NAMES.includes(v)) {
    return [
      {
        message: `"${v}" is reserved for the collector's own topics (<prefix>/${v}/state); choose another name`,
      },
    ];
  }
  return [];
};

/** Problems in one element: unknown keys, a missing host, values of the wrong type or range. */
function elementIssues(d: Record<string, unknown>, at: string): Issue[] {
  const issues: Issue[] = [];
  const within = (key: string, found: Issue[]): void => {
    for (const i of found) issues.push({ path: `${at}.${key}${i.path ?? ''}`, message: i.message });
  };
  for (const key of Object.keys(d)) {
    if (!(DEVICE_KEYS as readonly string[]).includes(key)) {
      within(key, [{ message: unknownKeyMessage(key, DEVICE_KEYS) }]);
    }
  }
  if (d['host'] === undefined) {
    within('host', [{ message: "is required: the plug's IP address or host name" }]);
  } else {
    within('host', host(d['host']));
  }
  if (d['port'] !== undefined) within('port', checkPort(d['port']));
  if (d['name'] !== undefined) within('name', checkName(d['name']));
  if (d['node'] !== undefined) within('node', checkNode(d['node']));
  if (d['control'] !== undefined) within('control', boolean(d['control']));
  if (d['outlets'] !== undefined) within('outlets', checkOutlets(d['outlets']));
  if (d['transport'] !== undefined) within('transport', oneOf([...TRANSPORTS])(d['transport']));
  if (d['username'] !== undefined) within('username', string(d['username']));
  if (d['password'] !== undefined) within('password', secret(d['password']));
  if (d['passwordFile'] !== undefined) within('passwordFile', string(d['passwordFile']));
  if (d['password'] !== undefined && d['passwordFile'] !== undefined) {
    within('passwordFile', [{ message: 'password is set too; give the password one way only' }]);
  }
  return issues;
}

/** Outlet names are levels below the strip's: the same rule, minus the strip's own levels. */
const checkOutletName: Check = (v) => {
  if (typeof v !== 'string' || !NAME_PATTERN.test(v))
    return [{ message: `${NAME_RULE}, got ${show(v)}` }];
  if (RESERVED_OUTLET_NAMES.includes(v)) {
    return [
      {
        message: `"${v}" is one of the strip's own topics (<prefix>/<strip>/${v}); choose another name`,
      },
    ];
  }
  return [];
};

/** `outlets`: an array (the n-th entry is outlet n) of `{name?, node?}`, names unique within it. */
const checkOutlets: Check = (value) => {
  if (!Array.isArray(value) || value.length > 16) {
    return [
      {
        message: `must be an array (at most 16) of outlets like ${OUTLET_EXAMPLE}, the n-th entry for outlet n; got ${show(value)}`,
      },
    ];
  }
  const issues: Issue[] = [];
  const names = new Map<string, number>();
  value.forEach((o: unknown, i) => {
    const at = `[${i}]`;
    if (!isPlainObject(o)) {
      issues.push({
        path: at,
        message: `must be an object like {"name": "kettle", "node": 31} or {}, got ${show(o)}`,
      });
      return;
    }
    for (const key of Object.keys(o)) {
      if (!(OUTLET_KEYS as readonly string[]).includes(key))
        issues.push({ path: `${at}.${key}`, message: unknownKeyMessage(key, OUTLET_KEYS) });
    }
    const push = (key: string, found: Issue[]): void => {
      for (const x of found)
        issues.push({ path: `${at}.${key}${x.path ?? ''}`, message: x.message });
    };
    if (o['name'] !== undefined) {
      const bad = checkOutletName(o['name']);
      push('name', bad);
      const first = names.get(String(o['name']));
      if (bad.length === 0 && first !== undefined)
        push('name', [
          {
            message: `${show(o['name'])} is already used by outlets[${first}] of this strip; give each outlet its own name`,
          },
        ]);
      else if (bad.length === 0) names.set(String(o['name']), i);
    }
    if (o['node'] !== undefined) push('node', checkNode(o['node']));
  });
  return issues;
};

/** The emonhub nodes an element uses: its own, then its outlets', with their paths. */
function nodesOf(d: Record<string, unknown>): { path: string; node: unknown }[] {
  const out: { path: string; node: unknown }[] = [];
  if (d['node'] !== undefined) out.push({ path: 'node', node: d['node'] });
  const outlets = d['outlets'];
  if (Array.isArray(outlets)) {
    outlets.forEach((o: unknown, j) => {
      if (isPlainObject(o) && o['node'] !== undefined)
        out.push({ path: `outlets[${j}].node`, node: o['node'] });
    });
  }
  return out;
}

/**
 * Values two plugs may not share, as shown in messages: `name` (the MQTT topic), `node` (the
 * emonhub node) and `host:port` (the same plug polled twice; addresses compared in one spelling,
 * `address.ts`; names that resolve to one address are `check-config`'s, `same-address.ts`), each
 * with the fix. `needs` are the keys that must be valid before comparing.
 */
const UNIQUE = [
  {
    key: 'name',
    needs: ['name'],
    value: (d: Record<string, unknown>) => (d['name'] === undefined ? undefined : show(d['name'])),
    fix: 'give each plug its own name',
  },
  {
    key: 'host',
    needs: ['host', 'port'],
    value: (d: Record<string, unknown>) =>
      hostPort(
        normalizeAddress(String(d['host'])),
        Number(d['port'] ?? defaultPort(d['transport'])),
      ),
    fix: 'list each plug once',
  },
];

/**
 * The `devices` format: an array of `{host, port?, name?, node?, control?, outlets?, transport?,
 * username?, password?, passwordFile?}`. Reports, by element index and
 * key, unknown keys, wrong types and ranges, and duplicates (see {@link UNIQUE}), naming the
 * element that used the value first: `[2].node: 27 is already used by devices[0]`.
 */
export const checkDevices: Check = (value) => {
  if (!Array.isArray(value)) {
    return [{ message: `must be an array of plugs like [${EXAMPLE}], got ${show(value)}` }];
  }
  const issues: Issue[] = [];
  const firstUse = new Map<string, number>();
  const firstNode = new Map<string, string>();
  value.forEach((d: unknown, i) => {
    if (!isPlainObject(d)) {
      issues.push({ path: `[${i}]`, message: `must be an object like ${EXAMPLE}, got ${show(d)}` });
      return;
    }
    const own = elementIssues(d, `[${i}]`);
    issues.push(...own);
    for (const unique of UNIQUE) {
      const shown = unique.value(d);
      const bad = own.some((x) => unique.needs.some((k) => x.path?.startsWith(`[${i}].${k}`)));
      if (shown === undefined || bad) continue;
      const first = firstUse.get(`${unique.key} ${shown}`);
      if (first === undefined) firstUse.set(`${unique.key} ${shown}`, i);
      else {
        const message = `${shown} is already used by devices[${first}]; ${unique.fix}`;
        issues.push({ path: `[${i}].${unique.key}`, message });
      }
    }
    for (const { path, node } of nodesOf(d)) {
      if (own.some((x) => x.path?.startsWith(`[${i}].${path}`))) continue;
      const where = `devices[${i}].${path}`;
      const first = firstNode.get(String(node));
      if (first === undefined) firstNode.set(String(node), where);
      else {
        const message = `${String(node)} is already used by ${first}; give each plug and outlet its own emonhub node id`;
        issues.push({ path: `[${i}].${path}`, message });
      }
    }
  });
  return issues;
};

/**
 * A validated raw element as the rest of the program sees it: `port` filled in, absent
 * `name`/`node`/`control` left out rather than `undefined` (`control: false` is left out too).
 */
export function normalizeDevice(raw: {
  host: string;
  port?: number;
  name?: string;
  node?: number;
  control?: boolean;
  outlets?: OutletConfig[];
  transport?: DeviceConfig['transport'];
  username?: string;
  password?: string;
  passwordFile?: string;
}): DeviceConfig {
  const device: DeviceConfig = { host: raw.host, port: raw.port ?? defaultPort(raw.transport) };
  if (raw.name !== undefined) device.name = raw.name;
  if (raw.node !== undefined) device.node = raw.node;
  if (raw.control === true) device.control = true;
  if (raw.outlets !== undefined) {
    device.outlets = raw.outlets.map((o) => {
      const out: OutletConfig = {};
      if (o.name !== undefined) out.name = o.name;
      if (o.node !== undefined) out.node = o.node;
      return out;
    });
  }
  if (raw.transport !== undefined) device.transport = raw.transport;
  if (raw.username !== undefined) device.username = raw.username;
  if (raw.password !== undefined) device.password = raw.password;
  if (raw.passwordFile !== undefined) device.passwordFile = raw.passwordFile;
  return device;
}
