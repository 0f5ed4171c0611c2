"""`python -m streams …` is `cloudpulse …` (child processes use it: no console script needed)."""

from streams.cli import main

main()
