"""The ``dangjian`` console script: runs any Django management command.

``dangjian up``, ``dangjian demo``, ``dangjian migrate`` ... are all management commands.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "dangjian"
    if len(args) == 1:
        args.append("help")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
