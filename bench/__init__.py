"""`make bench`: end-to-end benchmarks of Chorus against real processes (see bench/README.md)."""
