"""Shared roff helpers for the man page generators (stdlib only)."""

# Non-ASCII characters of the sources, as groff glyphs every output device has (an unknown
# \[uXXXX] would make `groff -ww -Tascii` warn).
GLYPHS = {
    "\u2014": r"\(em", "\u2013": r"\(en", "\u2026": "...", "\u00d7": r"\(mu",
    "\u00b5": "u", "\u00b1": r"\(+-", "\u2212": r"\-", "\u2264": r"\(<=",
    "\u2265": r"\(>=", "\u2192": r"\(->", "\u2190": r"\(<-", "\u201c": r"\(lq",
    "\u201d": r"\(rq", "\u2018": r"\(oq", "\u2019": r"\(cq", "\u00a0": r"\~",
}


def escape(text, code=False):
    """Escapes text for a roff text line (not the start of a line: see line())."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append(r"\e")
        elif ch == "-" and code:
            out.append(r"\-")
        elif ch in GLYPHS:
            out.append(GLYPHS[ch])
        elif ord(ch) > 127:
            out.append(r"\[u%04X]" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def line(text):
    """A text line that roff will not take for a request."""
    text = text.rstrip()
    if text.startswith((".", "'")):
        return r"\&" + text
    return text


def header(name, section, version, manual, date=""):
    return [
        r'.\" Generated at build time by man/*.py from the sources named below; do not edit.',
        '.TH %s %s "%s" "utraced %s" "%s"' % (name.upper(), section, date, version, manual),
    ]
