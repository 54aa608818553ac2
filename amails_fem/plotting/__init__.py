"""Every figure: matplotlib Figures returned (never a backend switch), pyvista off-screen; the only plotting user."""
