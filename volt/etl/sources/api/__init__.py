"""Live sources: the Enedis, ADEME and BAN web APIs, fetched politely into bronze."""
