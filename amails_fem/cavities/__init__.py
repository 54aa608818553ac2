"""Haloscope cavities: eigenmodes (cross-section and 3D Nedelec), form factors, Q, tuning sweeps."""
