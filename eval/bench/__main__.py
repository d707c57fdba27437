"""`python -m eval.bench`: see cli.py."""

from .cli import main

if __name__ == "__main__":
    main()
