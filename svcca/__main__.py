"""``python -m svcca``: the same command line as the ``svcca`` script."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
