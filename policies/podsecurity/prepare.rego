package wasmgate.podsecurity

# What main's prepare stores under data.prepared.podsecurity: the values of this package that depend
# on data alone, each read back from there by its rule when present.
prepared := {"first_index": _first_index, "psps": psps, "skipped": skipped, "grants": _grants}
