package wasmgate.main

# A test policy whose decisions the request dictates, so the server tests control every outcome:
#   object.spec.violations: [{policy, message, action, path?}]  echoed as they are
#   object.spec.spin: n                                           about n*n steps of busy work in O(n) memory (deadline tests)
#   object.spec.conflict: true                                    a runtime conflict, which aborts the WASM (trap tests)
#   object.spec.showRevision: true                                a warning naming data.config.revision
# and the mutation:
#   object.spec.mutation: {patch, profile}                        returned as it is (malformed ones too)
#   object.spec.labels: {name: value}                             a defaulting: each label the object lacks is added
#                                                                 (profile "labels"; a second pass adds nothing)
#   object.spec.spin, object.spec.conflict                        as above, for the mutation too

decision := {"allowed": count([v | some v in violations; v.action == "deny"]) == 0, "violations": [v | some v in violations]}

spec := object.get(input.request, ["object", "spec"], {})

violations contains v if some v in object.get(spec, "violations", [])

violations contains {"policy": "spin", "message": sprintf("spun %d", [count(spun)]), "action": "deny"} if {
	is_number(spec.spin)
	count(spun) > spec.spin
}

spin_range := numbers.range(1, spec.spin)

spun := [i |
	some i in spin_range
	some j in spin_range
	i == j
]

violations contains {"policy": "conflict", "message": sprintf("%v", [conflicting]), "action": "deny"} if spec.conflict == true

conflicting := 1 if spec.conflict == true

conflicting := 2 if spec.conflict == true

violations contains {"policy": "revision", "message": sprintf("served by revision %v", [data.config.revision]), "action": "warn"} if spec.showRevision == true

config_errors contains "config.revision must be a string" if not is_string(data.config.revision)

_has_mutation if _ = spec.mutation

_object_labels := object.get(input.request.object, ["metadata", "labels"], {})

_missing_labels := {k | some k, _ in spec.labels; not k in object.keys(_object_labels)}

_pointer(key) := concat("", ["/metadata/labels/", replace(replace(key, "~", "~0"), "/", "~1")])

_label_patch := [{"op": "add", "path": "/metadata", "value": {"labels": spec.labels}}] if {
	not input.request.object.metadata
} else := [{"op": "add", "path": "/metadata/labels", "value": spec.labels}] if {
	not input.request.object.metadata.labels
} else := [{"op": "add", "path": _pointer(k), "value": spec.labels[k]} | some k in sort(_missing_labels)]

mutation := spec.mutation if {
	_has_mutation
} else := {"patch": [], "profile": sprintf("spun %d", [count(spun)])} if {
	is_number(spec.spin)
} else := {"patch": [], "profile": sprintf("%v", [conflicting])} if {
	spec.conflict == true
} else := {"patch": _label_patch, "profile": "labels"} if {
	is_object(spec.labels)
} else := {"patch": [], "profile": null}
