"""What to compute: frozen, validated dataclasses for rooms, walls and cavities, and their TOML loaders (no gmsh)."""
