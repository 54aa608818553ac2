"""Linear algebra: AMG (smoothed aggregation, two-level P2), Krylov with the true-residual check, reduced basis."""
