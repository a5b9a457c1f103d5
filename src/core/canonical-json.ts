/**
 * Canonical JSON (RFC 8785, JCS) exactly as the `canonicalize` package writes it, which hashed every event
 * stored so far: keys sorted by UTF-16 code units, numbers and strings as JSON.stringify writes them, `toJSON`
 * honoured, properties holding undefined or a symbol left out (null in arrays); NaN, infinities, lone
 * surrogates and cycles refused. The same output with less work per value (the hash chain and the request
 * fingerprint canonicalize on every command): native well-formedness checks, no canonicalization of keys as
 * values, one string built as it goes. A property spec holds it to the package's output.
 */
export function canonicalJson(value: unknown): string | undefined {
  return write(value, []);
}

function write(value: unknown, enclosing: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new Error('Lone surrogate is not allowed');
      return JSON.stringify(value);
    case 'number':
      if (Number.isNaN(value)) throw new Error('NaN is not allowed');
      if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      break;
    default:
      // booleans as JSON has them; undefined, functions and symbols as JSON.stringify has them (undefined); bigint throws.
      return JSON.stringify(value);
  }
  if (enclosing.includes(value)) throw new Error('Circular reference detected');
  enclosing.push(value);
  try {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return write(toJSON.call(value), enclosing);
    return Array.isArray(value) ? writeArray(value, enclosing) : writeObject(value as Record<string, unknown>, enclosing);
  } finally {
    enclosing.pop();
  }
}

function writeArray(array: readonly unknown[], enclosing: object[]): string {
  let out = '[';
  for (let index = 0; index < array.length; index++) {
    if (index > 0) out += ',';
    // A hole stays empty, as Array.prototype.map and join leave it.
    if (!(index in array)) continue;
    const item = array[index];
    // What has no JSON form (a function) is left empty too, as join leaves undefined.
    out += write(item === undefined || typeof item === 'symbol' ? null : item, enclosing) ?? '';
  }
  return `${out}]`;
}

function writeObject(object: Record<string, unknown>, enclosing: object[]): string {
  let out = '{';
  let first = true;
  for (const key of Object.keys(object).sort()) {
    const item = object[key];
    if (item === undefined || typeof item === 'symbol') continue;
    if (!key.isWellFormed()) throw new Error('Lone surrogate is not allowed');
    out += `${first ? '' : ','}${JSON.stringify(key)}:${String(write(item, enclosing))}`;
    first = false;
  }
  return `${out}}`;
}
