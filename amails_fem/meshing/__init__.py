"""Gmsh geometries -> scikit-fem meshes with named boundaries, cached by content hash (the only gmsh user)."""
