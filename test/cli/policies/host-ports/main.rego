# A stand-in for a pod-security profile that allows hostNetwork but no host ports: what the
# cluster's webhook denies once the API server has defaulted hostPort from containerPort.
package wasmgate.main

_obj := object.get(object.get(input, "request", {}), "object", {})

_found contains {
	"policy": "host-ports",
	"action": "deny",
	"path": sprintf("spec.%s[%d].ports[%d].hostPort", [list, i, j]),
	"message": sprintf("container %q uses host port %d", [c.name, p.hostPort]),
} if {
	some list in ["containers", "initContainers"]
	some i, c in object.get(_obj.spec, list, [])
	some j, p in object.get(c, "ports", [])
	object.get(p, "hostPort", 0) != 0
}

default allowed := true

allowed := false if count(_found) > 0

decision := {"allowed": allowed, "violations": [v | some v in _found]}

config_errors := set()

# Every wasmgate policy has the mutation entrypoint; this one defaults nothing.
mutation := {"patch": [], "profile": null}
