"""Source adapters: each brings one source's input into the bronze zone with a manifest."""
