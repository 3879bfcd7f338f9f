/** The longest file name most file systems accept, in bytes. */
export const MAX_FILE_NAME_BYTES = 255;

/** The name used when nothing usable is left of a received name. */
export const FALLBACK_FILE_NAME = 'received-file';

/*
 * Replaced by "_": path separators of any platform, C0/C1 controls and DEL,
 * and the Unicode bidirectional overrides/isolates that can make
 * "harmless\u202Etxt.exe" display as "harmlessexe.txt".
 */
const UNSAFE = /[/\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Turns a file name received from the network into one safe to create in
 * the destination directory: no path separators, no control or bidi
 * characters, not `.`/`..`/empty, never starting with a dot (a sender must
 * not plant a hidden `.bashrc` or `.ssh` in the inbox: leading dots become
 * `_`), at most 255 UTF-8 bytes (cut at a character boundary, keeping a
 * short extension). The result never contains a separator, so joined to
 * the directory it cannot escape it.
 *
 * @example
 * sanitizeFileName('../../etc/passwd'); // '___.._etc_passwd'
 * sanitizeFileName('.bashrc');          // '_bashrc'
 * sanitizeFileName('..');               // 'received-file'
 */
export function sanitizeFileName(name: string): string {
  let clean = name.normalize('NFC').replace(UNSAFE, '_').trim();
  if (clean === '' || /^\.+$/.test(clean)) return FALLBACK_FILE_NAME;
  clean = clean.replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  if (utf8Length(clean) > MAX_FILE_NAME_BYTES) {
    const dot = clean.lastIndexOf('.');
    const extension = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
    clean = truncateUtf8(clean.slice(0, clean.length - extension.length), MAX_FILE_NAME_BYTES - utf8Length(extension)) + extension;
  }
  return clean;
}

/**
 * The `n`-th alternative to a name that is taken: `report (1).pdf`,
 * `report (2).pdf`, … — still sanitised and within 255 bytes.
 *
 * @example
 * alternativeFileName('report.pdf', 2); // 'report (2).pdf'
 */
export function alternativeFileName(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  const hasExtension = dot > 0 && name.length - dot <= 16;
  const stem = hasExtension ? name.slice(0, dot) : name;
  const extension = hasExtension ? name.slice(dot) : '';
  const suffix = ` (${n})${extension}`;
  return truncateUtf8(stem, MAX_FILE_NAME_BYTES - utf8Length(suffix)) + suffix;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** The longest prefix of `text` (whole code points) within `maxBytes` UTF-8 bytes. */
function truncateUtf8(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = utf8Length(ch);
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return out;
}
