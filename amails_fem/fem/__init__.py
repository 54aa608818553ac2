"""Finite-element building blocks: named weak forms, fast affine assembly, elements, point evaluation."""
