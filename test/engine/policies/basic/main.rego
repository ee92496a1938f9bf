package wasmgate.main

# A small stand-in for the real policy set: enough rules to give varied decisions.

decision := {"allowed": count([v | some v in violations; v.action == "deny"]) == 0, "violations": sort_violations}

sort_violations := [v | some v in violations]

violations contains {"policy": "size", "message": sprintf("%s has %d items, more than %d", [name, count(input.request.object.items), data.config.max]), "action": data.config.action} if {
	count(input.request.object.items) > data.config.max
}

violations contains {"policy": "label", "message": sprintf("%s has no team label", [name]), "action": "warn", "path": "metadata.labels.team"} if {
	not input.request.object.metadata.labels.team
}

name := object.get(input.request.object, ["metadata", "name"], "<unnamed>")

config_errors contains "config.max must be a number" if not is_number(data.config.max)

config_errors contains "config.action must be deny, warn or dryrun" if not data.config.action in {"deny", "warn", "dryrun"}

# Deliberately expensive for the deadline test: spin² iterations that allocate almost nothing.
slow if {
	n := input.request.object.spin
	every i in numbers.range(1, n) {
		every j in numbers.range(1, n) {
			i + j > 0
		}
	}
}

violations contains {"policy": "slow", "message": "spun", "action": "deny"} if slow

# The mutation: an object without a team label gets team "unassigned"; object.mutation, when set,
# is returned as it is (malformed ones too), and object.spin slows it like the decision.
mutation := input.request.object.mutation if {
	_ = input.request.object.mutation
} else := {"patch": [], "profile": "slow"} if {
	slow
} else := {"patch": [], "profile": "team"} if {
	input.request.object.metadata.labels.team
} else := {"patch": [{"op": "add", "path": "/metadata/labels", "value": {"team": "unassigned"}}], "profile": "team"} if {
	not input.request.object.metadata.labels
} else := {"patch": [{"op": "add", "path": "/metadata/labels/team", "value": "unassigned"}], "profile": "team"}
