"""Pull a shop's catalog into the store (full and incremental)."""
