/**
 * The error's name and code and the frames it was thrown from: the stack without its message, which may quote
 * the values that failed (personal data included). Every error log line goes through it.
 */
export function logged(error: unknown): [summary: string, frames: string | undefined] {
  if (!(error instanceof Error)) return ['non-error thrown', undefined];
  const frames = error.stack?.split('\n').filter((line) => /^\s+at /.test(line)).join('\n');
  // The causes' names too (a store unreachable says through what: no server selected, a pool cleared, a socket closed).
  const names: string[] = [];
  for (let at: unknown = error; at instanceof Error && names.length < 4; at = at.cause) {
    const code = (at as { code?: unknown }).code;
    names.push(`${at.name}${typeof code === 'string' || typeof code === 'number' ? ` (${code})` : ''}`);
  }
  return [names.join(' ← '), frames];
}
