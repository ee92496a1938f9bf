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
	"message": _labelled(text),
}

# violation_no_path(policy_id, text): for rules about the whole request.
violation_no_path(policy_id, text) := {
	"policy": policy_id,
	"message": _labelled(text),
}

# Strings are joined with concat, which stays inside WASM; sprintf is a call out into the host.
_labelled(text) := concat("", [request.label, ": ", text]) if is_string(text)

else := sprintf("%s: %s", [request.label, text])

# list(xs): "a, b, c" (or "none") for use in messages.
list(xs) := concat(", ", [_text(x) | some x in xs]) if count(xs) > 0

else := "none"

# x as %v prints it.
_text(x) := x if is_string(x)

else := sprintf("%v", [x])
