"""Post-processing: point evaluation, wall maps, rendering."""
