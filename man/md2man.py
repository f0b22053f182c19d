#!/usr/bin/env python3
"""Converts proto/PROTOCOL.md to the man page utraced-protocol(7) (stdlib only).

    md2man.py INPUT.md OUTPUT.7 NAME SECTION VERSION "SUMMARY"

Handles the Markdown PROTOCOL.md uses: ATX headings (# is the page title, ## a section,
### and #### subsections), paragraphs, "-" and "1." lists with indented continuation lines,
fenced code blocks, pipe tables (each row becomes a tagged paragraph: the first cell the tag,
the others "header: value"), `code`, **bold**, *emphasis* and [links](target). The output
needs no preprocessor (no tbl) and renders with `groff -man -ww` without warnings.
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import roff  # noqa: E402

INLINE = re.compile(r"(`+)(.+?)\1|\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"
                    r"|\[([^\]]+)\]\(([^)\s]+)\)")


def inline(text):
    """Markdown inline markup of one paragraph to roff (escaped)."""
    out, pos = [], 0
    for m in INLINE.finditer(text):
        out.append(roff.escape(text[pos:m.start()].replace(r"\|", "|")))
        if m.group(1):
            code = m.group(2).strip() if m.group(1) != "`" else m.group(2)
            out.append(r"\fB\%" + roff.escape(code, code=True) + r"\fR")
        elif m.group(3) is not None:
            out.append(r"\fB" + inline(m.group(3)) + r"\fR")
        elif m.group(4) is not None:
            out.append(r"\fI" + inline(m.group(4)) + r"\fR")
        else:
            label, target = m.group(5), m.group(6)
            out.append(inline(label))
            if target.startswith(("http://", "https://")):
                out.append(" <" + roff.escape(target) + ">")
        pos = m.end()
    out.append(roff.escape(text[pos:].replace(r"\|", "|")))
    return "".join(out)


def split_row(row):
    cells = re.split(r"(?<!\\)\|", row.strip().strip("|"))
    return [c.strip() for c in cells]


def convert(lines, name, summary):
    out = [".SH NAME", "%s \\- %s" % (name, roff.escape(summary))]
    i, n = 0, len(lines)
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(roff.line(inline(" ".join(para))))
            para.clear()

    while i < n:
        raw = lines[i]
        text = raw.strip()
        fence = re.match(r"^(\s*)(```+|~~~+)", raw)
        if fence:
            flush()
            marker = fence.group(2)
            i += 1
            out += [".PP", ".RS 4", ".nf"]
            while i < n and not lines[i].strip().startswith(marker):
                code = lines[i].rstrip().replace("\t", "        ")
                out.append(roff.line(roff.escape(code)) if code else "")
                i += 1
            out += [".fi", ".RE"]
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*$", raw)
        if heading:
            flush()
            level, title = len(heading.group(1)), heading.group(2)
            if level == 1:
                out.append(".SH DESCRIPTION")
                out.append(".PP")
                out.append(roff.line(r"\fB" + inline(title) + r"\fR"))
            elif level == 2:
                out.append(".SH " + roff.line(inline(title.upper())).replace('"', ""))
            else:
                out.append(".SS " + roff.line(inline(title)).replace('"', ""))
            i += 1
            continue
        if text.startswith("|") and i + 1 < n and re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i + 1]):
            flush()
            headers = split_row(text)
            i += 2
            while i < n and lines[i].strip().startswith("|"):
                cells = split_row(lines[i])
                body = []
                for h, c in zip(headers[1:], cells[1:]):
                    if not c:
                        continue
                    last = h == headers[-1] and len(headers) > 2
                    body.append(inline(c) if last else r"\fI" + inline(h) + r"\fR: " + inline(c))
                out += [".TP", roff.line(inline(cells[0]) if cells else ""),
                        roff.line("; ".join(body))]
                i += 1
            continue
        item = re.match(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$", raw)
        if item:
            flush()
            indent = len(item.group(1))
            bullet = r"\(bu" if item.group(2) in "-*+" else item.group(2)
            words = [item.group(3)]
            i += 1
            while i < n and lines[i].strip() \
                    and not re.match(r"^\s*([-*+]|\d+[.)])\s+", lines[i]) \
                    and not lines[i].lstrip().startswith(("```", "~~~", "#", "|")):
                words.append(lines[i].strip())
                i += 1
            if indent:
                out.append(".RS %d" % min(indent, 8))
            out += [".IP %s 4" % bullet, roff.line(inline(" ".join(words)))]
            if indent:
                out.append(".RE")
            continue
        if not text:
            flush()
            i += 1
            continue
        para.append(text)
        i += 1
    flush()
    return out


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    src, dst, name, section, version, summary = sys.argv[1:]
    with open(src, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = roff.header(name, section, version, "utraced")
    out.insert(1, r'.\" Source: %s' % os.path.basename(src))
    out += convert(lines, name, summary)
    out += [".SH SEE ALSO", ".BR utraced (8),", ".BR utracectl (1)"]
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
