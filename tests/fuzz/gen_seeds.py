#!/usr/bin/env python3
"""Writes the large generated seeds of the fuzz corpus into DIR (run_fuzz.sh calls it on its
scratch copy, so they are not stored in the tree): deep nesting (issue 12: ~70,000 '[' in one
line crashed the daemon) and long request batches (1,500 `list` requests in one read grew it by
600 MiB). Usage: gen_seeds.py DIR"""
import json
import os
import sys


def req(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    return json.dumps(m, separators=(",", ":"))


def hello_with(raw_client):
    return '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"client":' + raw_client + "}}"


def seeds():
    # Nesting: under fuzz_proto's 4096-byte line limit, and one near fuzz_dispatcher's 64 KiB.
    yield "deep-open-4000", hello_with("[" * 4000)
    yield "deep-balanced-2000", hello_with("[" * 2000 + "]" * 2000)
    yield "deep-objects-1300", hello_with('{"a":' * 1300 + "1" + "}" * 1300)
    yield "deep-mixed-3000", hello_with('[{"k":' * 500 + "0" + "}]" * 500)
    yield "deep-at-limit", hello_with("[" * 62 + "]" * 62)
    yield "deep-over-limit", hello_with("[" * 63 + "]" * 63)
    yield "deep-in-string", hello_with('"' + "[{" * 2000 + '\\"' + '"')
    yield "deep-escapes", hello_with('"\\\\"' + ",[" * 70 + "]" * 70)
    yield "deep-open-60000", hello_with("[" * 60000)
    yield "deep-lines-200", "\n".join([hello_with("[" * 300)] * 200)
    # Long request batches, as one client write.
    yield "batch-list-1500", "\n".join(req(i, "list") for i in range(1500))
    yield "batch-list-paged", "\n".join(req(i, "list", {"from": i, "limit": 1 + i % 1000})
                                        for i in range(800))
    mixed = []
    for i in range(600):
        kind = i % 6
        if kind == 0:
            mixed.append(req(i, "hello", {"client": "x" * (i * 7 % 5000)}))
        elif kind == 1:
            mixed.append(req(i, "stats"))
        elif kind == 2:
            mixed.append(req(i, "m" * (i * 13 % 6000)))  # unknown method: the name is echoed
        elif kind == 3:
            mixed.append(req(i, "attach", {"tid": 1, "events": ["exit"]}))
        elif kind == 4:
            mixed.append(req(i, "read_memory", {"engine": 1, "addr": 4096, "size": 1 << 20}))
        else:
            mixed.append(req(None, "list"))  # a notification: no reply
    yield "batch-mixed-600", "\n".join(mixed)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, text in seeds():
        with open(os.path.join(out, "gen-" + name), "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
