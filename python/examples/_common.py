"""Shared by the examples: the package from this source tree when it is not installed, and
the "PID | -- CMD ARGS..." target argument."""

from __future__ import annotations

import os
import sys
from typing import List, Optional, Tuple

try:
    import utrace  # noqa: F401  (installed, or on PYTHONPATH)
except ImportError:  # run from the source tree: python/examples/../
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import utrace


def target(args: List[str], usage: str) -> Tuple[Optional[int], Optional[List[str]]]:
    """(pid, None) for "PID", (None, argv) for "-- CMD ARGS..."; exits with usage otherwise."""
    if args and args[0] == "--" and len(args) > 1:
        return None, args[1:]
    if len(args) == 1 and args[0].isdigit() and int(args[0]) > 0:
        return int(args[0]), None
    sys.exit(f"usage: {usage}")


def exit_like(returncode: int) -> None:
    """Exits as the traced program did (128+N for a death by signal N, as a shell says)."""
    sys.exit(returncode if returncode >= 0 else 128 - returncode)


def run(main) -> None:
    """Runs an example's main(); a utraced error (or one starting the program) ends it with
    one line naming the problem instead of a traceback."""
    try:
        main()
    except (utrace.UtraceError, OSError, ValueError) as e:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {e}")
