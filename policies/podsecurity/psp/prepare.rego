package wasmgate.policies.podsecurity.psp

# What main's prepare stores under data.prepared.policies.podsecurity.psp: the values of this
# package that depend on data alone and its lookup tables, each read back from there by its rule
# when present.
prepared := {
	"first_index": _first_index,
	"psps": psps,
	"skipped": skipped,
	"usable_by_subject": _usable_by_subject,
	"volume_sources": _volume_sources,
	"volume_source_index": _volume_source_index,
	"host_fields": _host_fields,
}
