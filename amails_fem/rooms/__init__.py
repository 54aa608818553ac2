"""Room physics: the dark-photon source, perfect-conductor and impedance-wall rooms, shielding, the QEMD magnetic current."""
