// Finds the examples of a package README that the README test runs as scripts.
//
// An example is a ```ts / ```js block. It runs when it is marked, on the line before its fence,
// with `<!-- runnable -->` or `<!-- runnable: prints "text" "more text" -->` (each quoted text
// must appear in its output, in that order), or when it is a whole ES module on its own — its
// first line of code is an `import` — unless marked `<!-- not runnable: why -->`. Fragments
// (no imports, no marker) are left alone.

const FENCE = /^```(ts|typescript|js|javascript)[^\n]*\n([\s\S]*?)^```/gm;
const MARKER = /<!--\s*(runnable|not runnable)\s*(?::\s*([\s\S]*?))?\s*-->\s*$/;
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

/**
 * @param {string} markdown - a README.
 * @returns {{ line: number, language: 'ts' | 'js', code: string, prints: string[] }[]}
 */
export function extractExamples(markdown) {
  const examples = [];
  for (const match of markdown.matchAll(FENCE)) {
    const before = markdown.slice(0, match.index).replace(/\n+$/, '');
    const marker = MARKER.exec(before.slice(before.lastIndexOf('\n') + 1));
    const code = match[2];
    const wholeModule = /^import\s/m.test(firstCodeLine(code));
    if (marker?.[1] === 'not runnable') continue;
    if (marker === null && !wholeModule) continue;
    const prints = [...(marker?.[2] ?? '').matchAll(QUOTED)].map(([, text]) =>
      JSON.parse(`"${text}"`),
    );
    examples.push({
      line: before.split('\n').length + 1,
      language: match[1].startsWith('t') ? 'ts' : 'js',
      code,
      prints,
    });
  }
  return examples;
}

function firstCodeLine(code) {
  return (
    code
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '' && !line.startsWith('//')) ?? ''
  );
}
