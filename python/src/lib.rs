//! PyO3 adapter (placeholder until the Python issue lands).
