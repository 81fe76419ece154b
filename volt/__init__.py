"""volt: French housing energy statistics from Enedis, ADEME DPE and the BAN."""

__version__ = "0.1.0"
