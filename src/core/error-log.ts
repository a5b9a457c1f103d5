/**
 * The error's name and code and the frames it was thrown from: the stack without its message, which may quote
 * the values that failed (personal data included). Every error log line goes through it.
 */
export function logged(error: unknown): [summary: string, frames: string | undefined] {
  if (!(error instanceof Error)) return ['non-error thrown', undefined];
  const code = (error as { code?: unknown }).code;
  const frames = error.stack?.split('\n').filter((line) => /^\s+at /.test(line)).join('\n');
  return [`${error.name}${typeof code === 'string' || typeof code === 'number' ? ` (${code})` : ''}`, frames];
}
