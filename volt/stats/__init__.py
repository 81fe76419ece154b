"""Statistics of areas: metrics, label distributions, DPE vs metered (DESIGN §2–§4)."""
