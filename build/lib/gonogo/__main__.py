"""`python -m gonogo`, the same as the `gonogo` command."""

from gonogo.cli import main

main()
