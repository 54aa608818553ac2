"""File formats and the file system: atomic writes, content hashes and caches, provenance, TOML, VTU.

Arrays and plain dicts go in; this layer never imports the physics objects above it.
"""
