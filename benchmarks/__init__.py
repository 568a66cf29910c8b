"""Performance benchmarks: a synthetic establishment generator and the timing harness."""
