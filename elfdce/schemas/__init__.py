"""JSON schemas of elfdce's outputs (package data)."""
