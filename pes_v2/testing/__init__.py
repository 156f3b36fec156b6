"""Public helpers for tests: flow builder, mutations, hypothesis strategies."""
