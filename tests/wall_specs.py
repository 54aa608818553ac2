"""Spec text shared by the walls tests: the 2 m box room with a two-layer wall stack (0.1 m gap)."""


def two_layer_room_toml(size_m: float, wall_size_m: float, material: str = "mu_metal", thickness_m: float = 1.5e-3,
                        order: int | None = None) -> str:
    """A TOML spec: the 2 m box, [mesh] sizes (and order), two equal layers of material 0.1 m apart."""
    mesh = f"[mesh]\nsize_m = {size_m}\nwall_size_m = {wall_size_m}\n" + (f"order = {order}\n" if order else "")
    layer = f'[[walls.layers]]\nmaterial = "{material}"\nthickness_m = {thickness_m}\n'
    return ('[room]\nshape = "box"\nlx_m = 2.0\nly_m = 2.0\nlz_m = 2.0\n' + mesh + "[walls]\n"
            + layer + "gap_m = 0.1\n" + layer)
