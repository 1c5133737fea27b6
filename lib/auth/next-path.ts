// Where to go after signing in or up (`?next=`): a path on Quai's own origin, or the fallback.
// Browsers read `/\evil.com` as `//evil.com` and drop tabs and line breaks from a URL before
// reading it (`/\t/evil.com` is `//evil.com` too), so those never pass; what passes is then
// resolved against a placeholder origin and kept only if it stayed there.

const placeholderOrigin = 'http://quai.invalid'
// C0 controls (tab, CR, LF among them), DEL and the backslash.
// eslint-disable-next-line no-control-regex
const refused = /[\u0000-\u001f\u007f\\]/

/** `value` as a same-origin path (with its query and fragment), or `fallback`. */
export function localPath(value: string | null | undefined, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback
  if (!value.startsWith('/') || value.startsWith('//') || refused.test(value)) return fallback
  let url: URL
  try {
    url = new URL(value, placeholderOrigin)
  } catch {
    return fallback
  }
  if (url.origin !== placeholderOrigin) return fallback
  const path = `${url.pathname}${url.search}${url.hash}`
  // The parser may have turned the path into one that a second reading would take off-site.
  return path.startsWith('//') ? fallback : path
}
