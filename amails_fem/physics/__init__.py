"""Sources and solvers: quasi-static rooms, shielding, cavity modes."""
