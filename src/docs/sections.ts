/** A generated section of the README: the text between its two markers, replaced whole. */
export function replaceSection(readme: string, startMarker: string, endMarker: string, content: string, what: string): string {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start < 0 || end < start) throw new Error(`README has no ${what} markers`);
  return readme.slice(0, start + startMarker.length) + '\n' + content + readme.slice(end);
}
