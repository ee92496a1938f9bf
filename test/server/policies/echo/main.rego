package wasmgate.main

# A test policy whose decisions the request dictates, so the server tests control every outcome:
#   object.spec.violations: [{policy, message, action, path?}]  echoed as they are
#   object.spec.spin: n                                           about n*n steps of busy work in O(n) memory (deadline tests)
#   object.spec.conflict: true                                    a runtime conflict, which aborts the WASM (trap tests)
#   object.spec.showRevision: true                                a warning naming data.config.revision

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

# Every wasmgate policy has the mutation entrypoint; this one defaults nothing.
mutation := {"patch": [], "profile": null}
