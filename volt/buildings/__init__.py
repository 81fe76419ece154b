"""Building-level figures (BAN address × Enedis year), as a list and as a map layer of points."""
