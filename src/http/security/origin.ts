// Origin allowlist (docs/security.md): `*` allows all; patterns with `*`, `?` or `[` are case-sensitive shell globs
// (Python fnmatch: `*` spans any characters including `.`, `:` and `/`); anything else must match exactly.

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** fnmatch-style glob → anchored RegExp. An unclosed `[` is a literal, as in fnmatch. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!' || glob[j] === '^') j++;
      if (glob[j] === ']') j++; // a leading `]` is part of the set
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) { re += '\\['; continue; }
      let body = glob.slice(i + 1, j);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = j;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 's');
}

const isGlob = (p: string): boolean => /[*?[]/.test(p);

/** Compile the allowlist once; the result answers "may this Origin header value talk to us?". */
export function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !isGlob(p)));
  const globs = patterns.filter(isGlob).map(globToRegExp);
  return (origin) => origin === '' || exact.has(origin) || globs.some((g) => g.test(origin));
}

/** Patterns that let arbitrary websites in: `*`, ngrok wildcards, or wildcards not pinned to loopback (docs/security.md). */
export function isPublicWildcard(pattern: string): boolean {
  if (!pattern.includes('*')) return false;
  if (pattern === '*' || pattern.includes('ngrok')) return true;
  return !/localhost|127\.0\.0\.1|\[?::1\]?/.test(pattern);
}
