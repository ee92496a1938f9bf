# METADATA
# title: Violation messages
# description: |
#   Builds violation objects whose messages name the object
#   ("Kind namespace/name"), the container and the field, and say how to fix.
package wasmgate.lib.messages

import data.wasmgate.lib.request

# violation(policy_id, path, text): text is prefixed with the object label.
violation(policy_id, path, text) := {
	"policy": policy_id,
	"path": path,
	"message": sprintf("%s: %s", [request.label, text]),
}

# violation_no_path(policy_id, text): for rules about the whole request.
violation_no_path(policy_id, text) := {
	"policy": policy_id,
	"message": sprintf("%s: %s", [request.label, text]),
}

# list(xs): "a, b, c" (or "none") for use in messages.
list(xs) := concat(", ", [sprintf("%v", [x]) | some x in xs]) if count(xs) > 0

else := "none"
