#!/usr/bin/env python3
"""Writes a man page from a program's --help text plus a hand-written roff file.

    help2man.py PROGRAM SECTION VERSION INCLUDE OUTPUT

PROGRAM --help is run and parsed: the "usage:" line becomes SYNOPSIS; each "name:" heading
("commands:", "options:") a section of tagged paragraphs (entries indented two spaces, a
description after two or more spaces or on more-indented lines below); the entries right after
the usage line, with no heading, are OPTIONS; free text after the lists goes to NOTES.
INCLUDE holds roff: what comes before a line `.\\" @GENERATED@` is put before the generated
sections (after NAME and SYNOPSIS), the rest after them.
"""
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import roff  # noqa: E402


def parse_help(text):
    """-> (usage, [(title, [(term, description)])], trailing paragraphs)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("usage: "):
        sys.exit("help2man: --help does not start with 'usage: '")
    usage = lines[0][len("usage: "):]
    sections, notes = [], []
    entries = None
    for raw in lines[1:]:
        if not raw.strip():
            continue
        heading = re.fullmatch(r"([a-z][a-z ]*):", raw)
        if heading:
            entries = []
            sections.append((heading.group(1), entries))
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 2:
            if entries is None or (sections and sections[-1][1] is not entries):
                entries = []
                sections.append(("options", entries))
            parts = re.split(r" {2,}", raw.strip(), maxsplit=1)
            entries.append([parts[0], parts[1] if len(parts) > 1 else ""])
        elif indent > 2 and entries:
            term, desc = entries[-1]
            if not desc and indent < 10:  # the term goes on (a long synopsis)
                entries[-1][0] = term + " " + raw.strip()
            else:
                entries[-1][1] = (desc + " " + raw.strip()).strip()
        elif indent == 0:
            notes.append(raw.strip())
            entries = None
    return usage, sections, " ".join(notes)


def bold_options(text):
    """Escapes text and sets options (--name, -h) in bold."""
    parts = re.split(r"(--?[a-zA-Z][-a-zA-Z0-9]*)", text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(r"\fB\%" + roff.escape(part, code=True) + r"\fR")
        else:
            out.append(roff.escape(part))
    return "".join(out)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    program, section, version, include, output = sys.argv[1:]
    name = os.path.basename(program)
    text = subprocess.run([program, "--help"], check=True, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}).stdout
    usage, sections, notes = parse_help(text)
    with open(include, encoding="utf-8") as f:
        inc = f.read().rstrip("\n").split("\n")
    marker = r'.\" @GENERATED@'
    if marker not in inc:
        sys.exit("help2man: %s has no %s line" % (include, marker))
    cut = inc.index(marker)
    name_line = inc[0]
    if not name_line.startswith(name + r" \- "):
        sys.exit("help2man: %s must start with '%s \\- summary'" % (include, name))

    out = roff.header(name, section, version,
                      "System Administration" if section == "8" else "User Commands")
    out += [".SH NAME", name_line, ".SH SYNOPSIS", r".B " + name]
    out.append(roff.line(bold_options(usage[len(name):].strip())))
    out += inc[1:cut]
    for title, entries in sections:
        out.append(".SH " + title.upper())
        for term, desc in entries:
            out += [".TP", roff.line(bold_options(term)), roff.line(bold_options(desc))]
    if notes:
        out += [".SH NOTES", roff.line(bold_options(notes))]
    out += inc[cut + 1:]
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
