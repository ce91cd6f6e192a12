/* Text that a container controls (command lines, hook output), made harmless for a terminal before
 * urun prints it.  One style everywhere: every byte that could drive a terminal becomes \xHH.
 * Pure: bytes in, bytes out; no I/O. */
#pragma once

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1 to 4; n > 0 bytes there), or 0 when s[0] does not
 * start one: overlongs, UTF-16 surrogates and code points above U+10FFFF are not valid (RFC 3629).
 * The JSON writer checks strings with it too. */
size_t utf8_len(const unsigned char *s, size_t n);

/* Writes s[0..len) to buf as one NUL-terminated string of at most size bytes (size > 0), with every C0
 * control (0x00-0x1f), DEL (0x7f), C1 control (U+0080-U+009F as UTF-8, whose terminals read it as ESC
 * sequences) and every byte that is not part of valid UTF-8 (a lone 0x9b is CSI to an 8-bit terminal)
 * written as \xHH, one escape per byte: "\x1b]0;title\x07".  Everything else, backslashes included, is
 * copied as it is: the result is safe to print, not meant to be decoded.  Returns the length the whole
 * escaped text needs, as snprintf does; when that is >= size the text was cut, never inside an escape
 * or a UTF-8 sequence. */
size_t escape_text(const char *s, size_t len, char *buf, size_t size);

/* The same into a new string (at most 4 * len + 1 bytes). */
char *escape_text_dup(const char *s, size_t len);
